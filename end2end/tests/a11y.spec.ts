import { writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { PARIS, TOKYO, newPlayer, startInstance, uniqueHandle, type Instance } from "./helpers";

/**
 * axe-core on every page of the app, signed out and signed in, at desktop width and on a
 * 390×844 phone: no serious or critical violation anywhere. Every finding (of any impact) is
 * written to test-results/axe/<test>.json, one entry per page, for the record.
 * Runs against an instance of its own that names an admin, so the admin page is scanned too.
 */

const WIDTHS = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "phone", viewport: { width: 390, height: 844 } },
];

type Finding = { page: string; width: string; violations: { id: string; impact: string; nodes: number }[] };
const findings: Finding[] = [];

/** Writes this test's findings down (each worker has its own list). */
function record(title: string) {
  const out = path.resolve(__dirname, "../test-results/axe");
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${title}.json`), JSON.stringify(findings.splice(0), null, 1));
}

let instance: Instance;
const admins = { desktop: uniqueHandle("axeboss"), phone: uniqueHandle("axebossm") };

test.beforeAll(async () => {
  instance = await startInstance({ MERIDIAN_ADMINS: `${admins.desktop},${admins.phone}` });
});

test.afterAll(async () => {
  await instance?.stop();
});

/** Waits for the page to be live (when it has a stream) and settled, then scans it. */
async function scan(page: Page, name: string, width: string) {
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.waitForFunction(() => {
    const badge = document.querySelector('[aria-label="Connection"]');
    return !badge || badge.textContent?.includes("Live");
  });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const violations = results.violations.map((v) => ({ id: v.id, impact: v.impact ?? "none", nodes: v.nodes.length }));
  findings.push({ page: name, width, violations });
  console.log(`axe ${name} (${width}): ${violations.length ? violations.map((v) => `${v.id}/${v.impact}×${v.nodes}`).join(", ") : "no violations"}`);
  const grave = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  // Soft: every page is scanned and reported, and the test fails at its end.
  expect.soft(
    grave.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`),
    `${name} at ${width}`,
  ).toEqual([]);
}

for (const { name: width, viewport } of WIDTHS) {
  test(`every page passes axe signed out (${width})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const context = await browser.newContext({ baseURL: instance.baseURL, viewport });
    const page = await context.newPage();
    for (const [name, url] of [
      ["landing", "/"],
      ["sign up", "/signup"],
      ["sign in", "/signin"],
      ["leaderboard", "/leaderboard"],
      ["dashboard", "/dashboard"],
      ["not found", "/no/such/page"],
    ]) {
      await page.goto(url);
      await scan(page, name, width);
    }
    record(`signed-out-${width}`);
    await context.close();
  });

  test(`every page passes axe signed in (${width})`, async ({ browser }) => {
    test.setTimeout(180_000);
    const options = { baseURL: instance.baseURL, viewport };
    const other = await newPlayer(browser, TOKYO, "axeother", options);
    // The admin, so that /admin is a page and not the not-found one.
    const context = await browser.newContext({ ...options, geolocation: PARIS, permissions: ["geolocation"] });
    const page = await context.newPage();
    await page.goto("/signup");
    const form = page.getByRole("form", { name: "Sign up" });
    await form.getByLabel("Handle").fill(width === "desktop" ? admins.desktop : admins.phone);
    await form.getByLabel("Display name").fill("Axe Boss");
    await form.getByLabel("Password").fill("correct horse battery");
    await form.getByRole("button", { name: "Sign up" }).click();
    await expect(page.getByTestId("signed-in-as")).toHaveText("Axe Boss");
    await expect(page).toHaveURL(/\/$/);
    await page.waitForLoadState("networkidle");

    // A chat with someone, so the chat pages have content.
    await page.goto(`/players/${other.handle}`);
    await page.getByRole("button", { name: "Say hi" }).first().click();
    await expect(page).toHaveURL(/\/chats\/\d+$/);
    const chat = new URL(page.url()).pathname;

    for (const [name, url] of [
      ["map", "/"],
      ["home", "/home"],
      ["chats", "/chats"],
      ["chat", chat],
      ["profile", `/players/${other.handle}`],
      ["leaderboard", "/leaderboard"],
      ["dashboard", "/dashboard"],
      ["admin", "/admin"],
      ["chat not found", "/chats/999999999"],
    ]) {
      await page.goto(url);
      await scan(page, name, width);
    }
    record(`signed-in-${width}`);
    for (const c of [context, other.context]) await c.close();
  });
}

test("the map, a chat and the forms work by keyboard alone", async ({ browser }) => {
  test.setTimeout(90_000);
  const options = { baseURL: instance.baseURL };
  const kenji = await newPlayer(browser, TOKYO, "keykenji", options);
  const ana = await newPlayer(browser, PARIS, "keyana", options);
  const page = ana.page;
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[aria-label="Connection"]')?.textContent?.includes("Live"));

  /** Presses Tab until `target` has the focus (the map's markers come one by one: the shared
   * suite's world holds many players). */
  async function tabTo(target: ReturnType<Page["locator"]>, what: string) {
    for (let i = 0; i < 2000; i++) {
      await page.keyboard.press("Tab");
      if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    }
    throw new Error(`Tab never reached ${what}`);
  }
  // A marker is reached by Tab and opened by Enter; its popup's "Say hi" too.
  const theirs = page.getByRole("region", { name: "World map" }).getByRole("button", { name: kenji.name, exact: true });
  await tabTo(theirs, "Kenji's marker");
  await page.keyboard.press("Enter");
  const popup = page.locator(".leaflet-popup-content").filter({ hasText: kenji.name });
  await expect(popup).toBeVisible();
  await tabTo(popup.getByRole("button", { name: "Say hi" }), "Say hi");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/chats\/\d+$/);
  await page.waitForFunction(() => document.querySelector('[aria-label="Connection"]')?.textContent?.includes("Live"));

  // The composer: typed and sent with the keyboard.
  const message = page.getByRole("textbox", { name: "Message" });
  await tabTo(message, "the message box");
  await page.keyboard.type("Typed without a mouse");
  await page.keyboard.press("Enter");
  await expect(page.locator("li.message .body")).toHaveText(["Typed without a mouse"]);
  for (const c of [kenji.context, ana.context]) await c.close();
});
