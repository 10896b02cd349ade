import { expect, test, type Locator, type Page } from "@playwright/test";
import { PARIS, TOKYO, flyToCity, marker, newPlayer, ownWorld, startInstance } from "./helpers";

test("the place search flies to a place and lists its players", async ({ browser }) => {
  const kenji = await newPlayer(browser, TOKYO, "kenji");
  const amelie = await newPlayer(browser, PARIS, "amelie");
  const a = amelie.page;
  try {
    await expect(a.getByRole("status", { name: "Connection" })).toHaveText("Live");
    const search = a.getByRole("search", { name: "Find a place" });
    await search.getByRole("searchbox").fill("Japa");
    await search.getByRole("button", { name: /^Japan\s*country$/ }).click();
    const there = a.getByRole("region", { name: "Players from Japan" });
    await expect(there).toContainText(kenji.name);
    await expect(there.getByRole("button", { name: "Say hi" }).first()).toBeVisible();

    await search.getByRole("searchbox").fill("Tokyo");
    await search.getByRole("button", { name: /^Tokyo, Japan\s*city$/ }).click();
    await expect(a.getByRole("region", { name: "Players from Tokyo, Japan" })).toContainText(kenji.name);
    await expect(search.getByRole("list", { name: "Places" }).getByRole("button")).toHaveCount(0);
  } finally {
    await kenji.context.close();
    await amelie.context.close();
  }
});

/** Waits for the page's live stream (the header's badge, behind the Menu on phones). */
async function live(page: Page) {
  await expect(page.locator('.connection[aria-label="Connection"]')).toHaveText("Live");
}

/** The world map's region on the page. */
function worldMap(page: Page): Locator {
  return page.getByRole("region", { name: "World map" });
}

/**
 * Whether `inner`'s box lies inside `outer`'s (within a pixel or two); false when `inner` is
 * not on the page at all (the map holds only the markers of its view). Read in one step in the
 * page: a marker can leave as the map moves, and `boundingBox()` would wait for it to return.
 */
async function inside(inner: Locator, outer: Locator): Promise<boolean> {
  const b = await outer.boundingBox();
  if (!b) return false;
  return inner.evaluateAll((found, b) => {
    const slack = 2;
    return (
      found.length > 0 &&
      found.every((e) => {
        const a = e.getBoundingClientRect();
        return (
          a.left >= b.x - slack &&
          a.top >= b.y - slack &&
          a.right <= b.x + b.width + slack &&
          a.bottom <= b.y + b.height + slack
        );
      })
    );
  }, b);
}

/** Flies the map to Paris by the place search: a city's zoom, the rest of the world out of view. */
async function zoomToParis(page: Page) {
  await flyToCity(page, "Paris", /^Paris,.*France\s*city$/);
}

/** How many of the map's markers lie outside its box, and how many there are. */
function markersOutside(page: Page) {
  return page.evaluate(() => {
    const map = document.querySelector('[aria-label="World map"]')!.getBoundingClientRect();
    const markers = [...document.querySelectorAll('[aria-label="World map"] .leaflet-marker-icon')];
    const out = markers.filter((m) => {
      const r = m.getBoundingClientRect();
      return r.left < map.left - 2 || r.top < map.top - 2 || r.right > map.right + 2 || r.bottom > map.bottom + 2;
    });
    return { many: markers.length > 1, outside: out.length };
  });
}

const WIDTHS = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
];

for (const { name: width, viewport } of WIDTHS) {
  test.describe(`the offline world (${width})`, () => {
    test(`without tiles the map draws the countries, with a legend (${width})`, async ({ browser }, testInfo) => {
      const amelie = await newPlayer(browser, PARIS, "amelie", { viewport });
      const a = amelie.page;
      try {
        const map = worldMap(a);
        await expect(map).toHaveAttribute("data-offline", "true");
        // Natural Earth's 1:110m countries: 177 outlines, one path each.
        await expect.poll(() => map.locator("path.world-country").count()).toBeGreaterThan(100);
        // Under the markers: the outlines' pane sits below the marker pane.
        const panes = await a.evaluate(() => {
          const z = (name: string) => Number(getComputedStyle(document.querySelector(`.leaflet-${name}-pane`)!).zIndex);
          return { world: z("world"), markers: z("marker") };
        });
        expect(panes.world).toBeLessThan(panes.markers);

        const legend = a.getByRole("list", { name: "Map legend" });
        await expect(legend).toBeVisible();
        await expect(legend.getByRole("listitem")).toHaveText(["You", "Online", "Offline"]);
        expect(await inside(legend, map)).toBe(true);
        // The legend's swatches are the markers' own classes.
        await expect(legend.locator(".marker.marker-me")).toHaveCount(1);
        await expect(legend.locator(".marker.marker-online")).toHaveCount(1);
        await testInfo.attach(`offline-map-${width}`, { body: await map.screenshot(), contentType: "image/png" });
      } finally {
        await amelie.context.close();
      }
    });

    test(`a player joining outside the view is announced, and the notice flies there (${width})`, async ({ browser }) => {
      // A world of its own: anyone else joining would be news too.
      const world = await ownWorld("joins");
      const options = { baseURL: world.baseURL };
      const amelie = await newPlayer(browser, PARIS, "amelie", { ...options, viewport });
      const a = amelie.page;
      try {
        await live(a);
        await zoomToParis(a);

        const kenji = await newPlayer(browser, TOKYO, "kenji", options);
        try {
          const notice = a.getByRole("status", { name: "Who just joined" });
          await expect(notice).toContainText(`${kenji.name} just joined from Tokyo, Japan`);
          // Not shown: the map holds the markers of its view only.
          const theirs = marker(a, kenji.name);
          expect(await inside(theirs, worldMap(a))).toBe(false);
          await notice.getByRole("button", { name: "Show on map" }).click();
          await expect.poll(() => inside(theirs, worldMap(a)), { timeout: 10_000 }).toBe(true);
          await expect(notice.getByRole("button")).toHaveCount(0);
        } finally {
          await kenji.context.close();
        }
      } finally {
        await amelie.context.close();
        await world.stop();
      }
    });

    test(`"Show everyone" frames every marker (${width})`, async ({ browser }) => {
      const kenji = await newPlayer(browser, TOKYO, "kenji");
      const amelie = await newPlayer(browser, PARIS, "amelie", { viewport });
      const a = amelie.page;
      try {
        await live(a);
        await zoomToParis(a);
        const map = worldMap(a);
        await expect.poll(() => inside(marker(a, kenji.name), map)).toBe(false);

        await a.getByRole("button", { name: "Show everyone" }).click();
        // The new view's markers arrive once the map has moved: Kenji's among them.
        await expect.poll(() => inside(marker(a, kenji.name), map), { timeout: 10_000 }).toBe(true);
        await expect.poll(() => markersOutside(a), { timeout: 10_000 }).toEqual({ many: true, outside: 0 });
      } finally {
        await kenji.context.close();
        await amelie.context.close();
      }
    });
  });
}

test("tiles that do not load give way to the countries", async ({ browser }) => {
  // Nothing listens on port 9 here: every tile fails at once.
  const instance = await startInstance({ MERIDIAN_TILE_URL: "http://127.0.0.1:9/{z}/{x}/{y}.png" });
  try {
    const amelie = await newPlayer(browser, PARIS, "amelie", { baseURL: instance.baseURL });
    try {
      const map = worldMap(amelie.page);
      await expect(map.locator("img.leaflet-tile").first()).toBeAttached();
      await expect(map).toHaveAttribute("data-offline", "true");
      await expect.poll(() => map.locator("path.world-country").count()).toBeGreaterThan(100);
    } finally {
      await amelie.context.close();
    }
  } finally {
    await instance.stop();
  }
});

test("a player who joins while the map is loading is on it when it shows", async ({ browser }) => {
  test.setTimeout(90_000);
  // Someone in Tokyo already, so that Ana's map frames Tokyo too whatever else the database
  // holds: the map holds the markers of its view only.
  const kenji = await newPlayer(browser, TOKYO, "loadkenji");
  const ana = await newPlayer(browser, PARIS, "loadana");
  const page = ana.page;
  try {
    await page.goto("/leaderboard");
    await expect(page.getByRole("status", { name: "Connection" })).toHaveText("Live");
    // The map's snapshot is taken, then held back while someone joins.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken = false;
    await page.route("**/api/map/view**", async (route) => {
      const response = await route.fetch();
      taken = true;
      await held;
      await route.fulfill({ response });
    });
    await page.getByRole("link", { name: "Meridian", exact: true }).click();
    await expect.poll(() => taken).toBe(true);
    const late = await newPlayer(browser, TOKYO, "latejoin");
    // Their join reaches this page's live feed while the snapshot is still on its way.
    await page.waitForTimeout(1500);
    release();
    await expect(marker(page, ana.name + " (you)")).toBeAttached();
    await expect(marker(page, late.name)).toBeAttached();
    await late.context.close();
  } finally {
    await ana.context.close();
    await kenji.context.close();
  }
});
