import { expect, test, type Locator, type Page } from "@playwright/test";
import { TOKYO, newPlayer, ownWorld, type Instance } from "./helpers";

/**
 * The landing page a visitor who is not signed in sees at `/`: the live world, by country.
 * On a server instance with a database of its own, so that its counts move only with what
 * these tests do (the suite's other tests sign players up and write all the time).
 */

const ULAANBAATAR = { latitude: 47.9186, longitude: 106.9176 };
/** The names a home in Ulaanbaatar goes by (its city and its region): never on the page. */
const CITY_NAMES = ["Ulan Bator", "Ulaanbaatar", "Tokyo"];

let instance: Instance;

test.beforeAll(async () => {
  instance = await ownWorld("landing");
});

test.afterAll(async () => {
  await instance?.stop();
});

/** A number the landing page shows ("players online now", …). */
async function stat(page: Page, name: string): Promise<number> {
  return Number(await page.locator(`[data-stat="${name}"] .landing-stat-value`).textContent());
}

const WIDTHS = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
];

for (const { name: width, viewport } of WIDTHS) {
  test(`a visitor sees the world live, by country, and no one's city (${width})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const options = { baseURL: instance.baseURL };
    const kenji = await newPlayer(browser, TOKYO, "kenji", options);

    const visitor = await browser.newContext({ ...options, viewport });
    const v = await visitor.newPage();
    const stream = v.waitForResponse((r) => r.url().includes("/events/public"));
    await v.goto("/");
    await expect(v.getByRole("heading", { level: 1, name: "Meet the world, one chat at a time" })).toBeVisible();
    await expect(v.getByRole("link", { name: "Sign up" }).last()).toBeVisible();
    await stream;

    // The numbers, the countdown, the leaders and the map of countries.
    const numbers = v.getByRole("group", { name: "The world right now" });
    await expect(numbers).toContainText("players online now");
    await expect(numbers).toContainText("messages this hour");
    const countdown = v.getByTestId("landing-countdown");
    await expect(countdown).toHaveText(/^\d+:\d\d$/);
    const first = await countdown.textContent();
    await expect(countdown).not.toHaveText(first ?? "", { timeout: 3_000 });
    await expect(v.getByRole("heading", { name: "This round's leaders" })).toBeVisible();
    const map = v.getByRole("region", { name: "World map of players by country" });
    await expect(map).toHaveAttribute("data-offline", "true");
    await expect.poll(() => map.locator("path.world-country").count()).toBeGreaterThan(100);
    await expect(v.getByRole("list", { name: "Map legend" })).toBeVisible();
    // Kenji's tab is open: Japan has someone online, with its circle on the map.
    const countries = v.getByRole("list", { name: "Countries by players online" });
    await expect(countries.locator('[data-country="JP"]')).toContainText(/[1-9]\d* online/);
    await expect(map.locator('path.activity-online[data-country="JP"]:not([data-empty])')).toHaveCount(1);

    // Only Kenji is about (an earlier test's players leave once their tabs have closed, after
    // the presence timeout), and no one is online in Mongolia.
    const mongolia = countries.locator('[data-country="MN"]');
    const inMongolia = async () =>
      (await mongolia.count()) ? Number((await mongolia.locator(".landing-online").textContent())?.split(" ")[0]) : 0;
    await expect.poll(() => stat(v, "online"), { timeout: 20_000 }).toBe(1);
    await expect.poll(inMongolia, { timeout: 20_000 }).toBe(0);
    const thisHour = await stat(v, "messages_this_hour");

    // Batu signs up in another browser, from Ulaanbaatar: the visitor sees him online, in
    // Mongolia, within seconds and without a reload.
    const batu = await newPlayer(browser, ULAANBAATAR, "batu", options);
    await expect.poll(() => stat(v, "online"), { timeout: 8_000 }).toBe(2);
    await expect(mongolia).toContainText("1 online", { timeout: 8_000 });
    await expect(map.locator('path.activity-online[data-country="MN"]:not([data-empty])')).toHaveCount(1);

    // He says hi to Kenji and writes: the visitor's messages this hour go up by one.
    const b = batu.page;
    await b.goto(`/players/${kenji.handle}`);
    await b.getByRole("button", { name: "Say hi" }).first().click();
    await expect(b).toHaveURL(/\/chats\/\d+$/);
    await expect(b.getByRole("status", { name: "Connection" })).toHaveText("Live");
    const box = b.getByRole("textbox", { name: "Message" });
    await box.fill("Sain baina uu");
    await box.press("Enter");
    await expect(b.locator("li.message").filter({ hasText: "Sain baina uu" })).not.toHaveAttribute("data-pending", "true");
    // (Or 1, if an hour began meanwhile.)
    const counted = async () => {
      const n = await stat(v, "messages_this_hour");
      return n === thisHour + 1 || (n === 1 && thisHour !== 0);
    };
    await expect.poll(counted, { timeout: 5_000 }).toBe(true);
    // Active today: Mongolia now counts him.
    await expect(mongolia).toContainText(/[1-9]\d* active today/);

    // Countries and counts only: no player's city, in the page or in what it was sent.
    const html = await v.content();
    const served = await (await v.request.get("/")).text();
    for (const city of CITY_NAMES) {
      expect(html, `${city} in the page`).not.toContain(city);
      expect(served, `${city} in the served page`).not.toContain(city);
    }
    expect(served).toContain("Mongolia");

    await visitor.close();
    await batu.context.close();
    await kenji.context.close();
  });
}

/** How wide the world's outlines are drawn, as a share of the map's width (Leaflet clips
 * what lies beyond the view, so a zoomed-in world measures about 1.2). */
async function spread(map: Locator): Promise<number> {
  return map.evaluate((element) => {
    const paths = [...element.querySelectorAll("path.world-country")].map((p) => p.getBoundingClientRect());
    const left = Math.min(...paths.map((r) => r.left));
    const right = Math.max(...paths.map((r) => r.right));
    return (right - left) / element.getBoundingClientRect().width;
  });
}

test("the landing map frames the world again when the window widens, unless the visitor moved it", async ({ browser }) => {
  const visitor = await browser.newContext({ baseURL: instance.baseURL, viewport: { width: 390, height: 844 } });
  const v = await visitor.newPage();
  await v.goto("/");
  const map = v.getByRole("region", { name: "World map of players by country" });
  await expect.poll(() => map.locator("path.world-country").count()).toBeGreaterThan(100);
  await expect.poll(() => spread(map)).toBeGreaterThan(0.55);

  // A phone turned, a window widened: the world fills the wider map too (framed once, it
  // stayed drawn for the phone, two fifths of the wider map).
  await v.setViewportSize({ width: 1280, height: 800 });
  await expect.poll(() => spread(map)).toBeGreaterThan(0.55);

  // The visitor zooms in; a resize then keeps their view rather than framing the world again.
  await map.getByRole("button", { name: "Zoom in" }).click();
  await expect.poll(() => spread(map)).toBeGreaterThan(1.1);
  // Once the zoom's animation is over (Leaflet marks its panes while it runs).
  await expect(map.locator(".leaflet-zoom-anim")).toHaveCount(0);
  await v.setViewportSize({ width: 1000, height: 800 });
  await expect.poll(() => map.evaluate((e) => e.getBoundingClientRect().width)).toBeLessThan(1000);
  // Resize observers run in the frame after the layout changed; the framing is synchronous.
  await v.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  expect(await spread(map)).toBeGreaterThan(1.1);
  await visitor.close();
});

test("the landing page reads without JavaScript", async ({ browser }) => {
  const visitor = await browser.newContext({ baseURL: instance.baseURL, javaScriptEnabled: false });
  const v = await visitor.newPage();
  await v.goto("/");
  await expect(v.getByRole("heading", { level: 1, name: "Meet the world, one chat at a time" })).toBeVisible();
  await expect(v.locator('[data-stat="online"] .landing-stat-value')).toHaveText(/^\d+$/);
  await expect(v.locator('[data-stat="messages_this_hour"] .landing-stat-value')).toHaveText(/^\d+$/);
  await expect(v.getByTestId("landing-countdown")).toHaveText(/^\d+:\d\d$/);
  await expect(v.getByRole("heading", { name: "Countries right now" })).toBeVisible();
  await visitor.close();
});
