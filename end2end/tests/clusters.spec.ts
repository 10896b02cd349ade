import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { PARIS, TOKYO, marker, newPlayer, ownWorld, signIn } from "./helpers";

// A world of a few hundred players on a server of its own: clusters with their counts, which
// open as the map zooms in, players of one city fanned out at street level, and a cluster's
// online count that moves when someone comes online elsewhere.

/** Adds `n` players at home in the most populous city named `city`, straight into the table. */
async function seed(databaseURL: string, city: string, prefix: string, name: string, n: number) {
  const db = new pg.Client({ connectionString: databaseURL });
  await db.connect();
  try {
    const added = await db.query(
      `insert into players (handle, display_name, password_hash, home_city_id)
       select $1 || '_' || i, $2 || ' ' || i, 'x',
              (select id from cities where name = $3 order by population desc limit 1)
       from generate_series(1, $4::int) i`,
      [prefix, name, city, n],
    );
    expect(added.rowCount).toBe(n);
  } finally {
    await db.end();
  }
}

/** The clusters on the map, by their accessible names ("250 players here, 0 online. Zoom in"). */
function clusters(page: Page) {
  return page.getByRole("region", { name: "World map" }).getByRole("button", { name: /players here/ });
}

function cluster(page: Page, players: number, online: number) {
  return page
    .getByRole("region", { name: "World map" })
    .getByRole("button", { name: `${players} players here, ${online} online. Zoom in`, exact: true });
}

/** Players counted by the clusters plus the players drawn one by one. */
async function playersShown(page: Page): Promise<number> {
  return page.evaluate(() => {
    const map = document.querySelector('[aria-label="World map"]')!;
    const counted = [...map.querySelectorAll(".cluster")]
      .map((c) => Number((c.getAttribute("title") ?? "").match(/^(\d+) players/)?.[1] ?? NaN))
      .reduce((a, b) => a + b, 0);
    return counted + map.querySelectorAll(".marker").length;
  });
}

test("a world of a few hundred players shows clusters that open as the map zooms in", async ({ browser }) => {
  test.setTimeout(120_000);
  const world = await ownWorld("clusters");
  const options = { baseURL: world.baseURL };
  try {
    await seed(world.databaseURL, "Paris", "paris", "Parisian", 250);
    await seed(world.databaseURL, "Lyon", "lyon", "Lyonnais", 60);
    await seed(world.databaseURL, "Tokyo", "tokyo", "Tokyoite", 80);
    await seed(world.databaseURL, "Lima", "lima", "Limeño", 10);

    // Kenji plays from Tokyo, then closes his tab: offline.
    const kenji = await newPlayer(browser, TOKYO, "kenji", options);
    await kenji.context.close();

    const amelie = await newPlayer(browser, PARIS, "amelie", options);
    const a = amelie.page;
    const map = a.getByRole("region", { name: "World map" });
    try {
      // The world: clusters, every player counted once (Amélie's own marker beside them).
      await expect(clusters(a).first()).toBeVisible();
      await expect.poll(() => playersShown(a)).toBe(402);
      await expect(marker(a, `${amelie.name} (you)`)).toBeVisible();
      // Tokyo's cluster: 80 and Kenji, who is gone (presence times out in 4 s here).
      await expect(cluster(a, 81, 0)).toBeVisible({ timeout: 20_000 });

      // Kenji comes back in another browser: Tokyo's cluster counts him online, live.
      const back = await browser.newContext({ ...options, geolocation: TOKYO, permissions: ["geolocation"] });
      try {
        await signIn(await back.newPage(), kenji.handle);
        await expect(cluster(a, 81, 1)).toBeVisible({ timeout: 15_000 });
        await expect(cluster(a, 81, 1).locator(".cluster-online")).toHaveText("1");
      } finally {
        await back.close();
      }

      // Zooming in on Europe parts Paris from Lyon.
      const paris = cluster(a, 250, 0);
      if (!(await paris.isVisible())) {
        await cluster(a, 310, 0).click({ position: { x: 6, y: 24 } });
      }
      await expect(paris).toBeVisible();
      await expect(cluster(a, 60, 0)).toBeVisible();
      expect(Number(await map.getAttribute("data-zoom"))).toBeGreaterThan(3);

      // Paris's cluster opens at street level: its 250 players one by one, fanned out around
      // the city's centre so that each has a spot of its own.
      // Amélie's own marker sits on top at Paris's centre: click the disc beside it.
      await paris.click({ position: { x: 6, y: 24 } });
      await expect(map).toHaveAttribute("data-zoom", "12");
      await expect(marker(a, "Parisian 17")).toBeVisible();
      await expect(clusters(a)).toHaveCount(0);
      await expect.poll(() => map.locator(".marker").count()).toBe(251);
      const spots = await a.evaluate(() => {
        const all = [...document.querySelectorAll('[aria-label="World map"] .marker')];
        return new Set(
          all.map((m) => {
            const r = m.getBoundingClientRect();
            return `${Math.round(r.x)},${Math.round(r.y)}`;
          }),
        ).size;
      });
      expect(spots).toBe(251);

      // A click on one (by pointer: nothing covers it) opens their popup; "Say hi" opens a chat.
      await marker(a, "Parisian 17").click();
      const popup = a.locator(".leaflet-popup-content").filter({ hasText: "Parisian 17" });
      await expect(popup).toBeVisible();
      await expect(popup).toContainText("Paris, France");
      await popup.getByRole("button", { name: "Say hi" }).click();
      await a.waitForURL(/\/chats\/\d+$/);
      await expect(a.getByRole("heading", { name: "Parisian 17", exact: true })).toBeVisible();
    } finally {
      await amelie.context.close();
    }
  } finally {
    await world.stop();
  }
});
