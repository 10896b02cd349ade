import { expect, test } from "@playwright/test";
import { PARIS, TOKYO, flyToCity, marker, openPopup, signUp, uniqueHandle } from "./helpers";

test.use({ geolocation: PARIS, permissions: ["geolocation"] });

test("a new player appears on an open map without a reload @smoke", async ({ page, browser }) => {
  const first = uniqueHandle("watcher");
  await signUp(page, first, `Watcher ${first.slice(-4)}`);
  await expect(marker(page, `Watcher ${first.slice(-4)} (you)`)).toBeVisible();
  await expect(page.getByRole("status", { name: "Connection" })).toHaveText("Live");
  // Where the newcomer will live: the map holds the markers of its view only, and a first
  // framing of Paris's players alone leaves Tokyo out (a join there is then a notice instead,
  // map.spec.ts).
  await flyToCity(page, "Tokyo", /^Tokyo, Japan\s*city$/);

  const other = await browser.newContext({ geolocation: TOKYO, permissions: ["geolocation"] });
  const otherPage = await other.newPage();
  const second = uniqueHandle("newcomer");
  const secondName = `Newcomer ${second.slice(-4)}`;
  await signUp(otherPage, second, secondName);

  // No reload on the first page: the marker arrives through the live stream.
  const theirs = marker(page, secondName);
  await expect(theirs).toBeAttached();
  await openPopup(theirs);
  await expect(page.locator(".leaflet-popup-content")).toContainText("Japan");
  await expect(page.getByRole("group").getByText(secondName)).toBeAttached();

  // Online while their tab is open; offline once it closes (after the presence timeout,
  // a few seconds in the test configuration).
  await expect(theirs).toHaveClass(/marker-online/);
  await expect(page.locator(".leaflet-popup-content")).toContainText("Online");
  await other.close();
  await expect(theirs).not.toHaveClass(/marker-online/, { timeout: 30_000 });
  // The marker changed in place: its popup stayed open and says so.
  await expect(page.locator(".leaflet-popup-content")).toContainText("Offline");
  await expect(page.getByRole("status", { name: "Connection" })).toHaveText("Live");
});
