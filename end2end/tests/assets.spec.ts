import { expect, test, type Page, type Response } from "@playwright/test";
import { startInstance } from "./helpers";

/**
 * The bundle as cargo-leptos builds it with `hash-files`: pages name its files by their
 * content's hash, and the browser gets them compressed with a year's immutable lifetime, from
 * the suite's server and from an instance started straight from the binary (as the scripts and
 * the two-instance tests do). server/tests/assets.rs checks the rules on a site of its own.
 */

const HASHED = /\/pkg\/meridian\.[A-Za-z0-9_-]{22}\.(?:js|wasm|css)/g;

/** A split build's chunk, the chunks' loader or its manifest, by its hashed name. */
const CHUNK = /\/pkg\/(?:chunk_\d+|split_\w+|__wasm_split(?:_manifest)?)\.[A-Za-z0-9_-]{22}\.(?:wasm|js|json)$/;

/** A split build's page code: a chunk or a page's module (not the loader the bundle imports). */
const PAGE_CODE = /\/pkg\/(?:chunk_\d+|split_\w+)\.[A-Za-z0-9_-]{22}\.wasm$/;

/**
 * The paths of the documents `page` loads, in order, and each page error with the document it
 * happened in (1 for the first).
 */
function watchDocuments(page: Page): { documents: string[]; errors: [number, string][] } {
  const documents: string[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      documents.push(new URL(request.url()).pathname);
    }
  });
  const errors: [number, string][] = [];
  page.on("pageerror", (error) => errors.push([documents.length, error.message]));
  return { documents, errors };
}

/** The bundle's file names a page's HTML mentions, sorted. */
function bundleIn(html: string): string[] {
  return [...new Set(html.match(HASHED) ?? [])].sort();
}

test("the bundle goes by hashed names, compressed and cached for a year @smoke", async ({ page }) => {
  const bundle = new Map<string, Response>();
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.startsWith("/pkg/")) bundle.set(pathname, response);
  });
  const html = await (await page.goto("/"))!.text();
  const named = bundleIn(html);
  expect(named.map((file) => file.split(".").pop()).sort()).toEqual(["css", "js", "wasm"]);

  // The page loads what it names, and nothing else but a split build's chunks (the chunks'
  // loader, which the script imports, and any page code it fetches), each compressed and
  // immutable.
  await expect.poll(() => named.filter((file) => !bundle.has(file))).toEqual([]);
  const others = [...bundle.keys()].filter((file) => !named.includes(file));
  expect(others.filter((file) => !CHUNK.test(file))).toEqual([]);
  for (const [file, response] of bundle) {
    expect(response.status(), file).toBe(200);
    const headers = await response.allHeaders();
    expect(headers["cache-control"], file).toBe("public, max-age=31536000, immutable");
    expect(headers["content-encoding"], file).toMatch(/^(br|gzip)$/);
  }
  // Leaflet, from public/, may be kept an hour.
  const leaflet = await page.request.get("/leaflet/leaflet.js");
  expect(leaflet.headers()["cache-control"]).toBe("public, max-age=3600");
});

test("a page split off the first bundle hydrates from its own chunk @split", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const chunks = new Map<string, Response>();
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (CHUNK.test(pathname)) chunks.set(pathname, response);
  });

  // A page that is not the map, loaded straight: it hydrates once its chunk is in.
  await page.goto("/leaderboard");
  await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
  await expect.poll(() => chunks.size).toBeGreaterThan(0);
  const first = new Set(chunks.keys());
  // Hydrated, the router takes the header's links: another split page comes without a page
  // load (the mark set on this window survives), fetching chunks it did not need before.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByRole("button", { name: "Sign up" })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await expect.poll(() => [...chunks.keys()].some((chunk) => !first.has(chunk))).toBe(true);

  for (const [file, response] of chunks) {
    expect(response.status(), file).toBe(200);
    expect((await response.allHeaders())["cache-control"], file).toBe("public, max-age=31536000, immutable");
  }
  expect(errors).toEqual([]);
});

test("a tab left open across a deploy follows a link to a page whose chunk is gone @split", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const stream = page.waitForResponse((response) => response.url().includes("/events/public"));
  await page.goto("/");
  // Live (hydrated): the landing page's stream opens only from the browser.
  await stream;

  // A deploy: the server now names a newer build, and this tab's chunks are gone until the
  // next page load fetches what that page names.
  let deployed = true;
  const refused: string[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) deployed = false;
  });
  await page.route(PAGE_CODE, (route) => {
    if (!deployed) return route.continue();
    refused.push(new URL(route.request().url()).pathname);
    return route.fulfill({ status: 404, contentType: "text/html", body: "<h1>Not found</h1>" });
  });
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  // The new page's own stream, once it is live.
  const hydrated = page.waitForResponse((response) => !deployed && response.url().includes("/events/public"));

  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Leaderboard" }).click();
  // The router could not load the page's code, so the browser loads the page whole, from
  // the new build: the leaderboard, live, where the old tab would have stopped dead.
  await expect(page).toHaveURL(/\/leaderboard$/);
  await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
  expect(refused.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBeUndefined();
  await hydrated;
  expect(errors).toEqual([]);
});

test("a page whose chunk is gone as it hydrates is loaded again, from the new build @split", async ({ page }) => {
  const { documents, errors } = watchDocuments(page);
  // A deploy between the page's HTML and its code: the first document's chunks are gone.
  const refused: string[] = [];
  await page.route(PAGE_CODE, (route) => {
    if (documents.length > 1) return route.continue();
    refused.push(new URL(route.request().url()).pathname);
    return route.fulfill({ status: 404, contentType: "text/html", body: "<h1>Not found</h1>" });
  });
  const hydrated = page.waitForResponse((response) => documents.length > 1 && response.url().includes("/events/public"));

  await page.goto("/leaderboard");
  // Loaded again whole, once, and live from the second load.
  await hydrated;
  expect(refused.length).toBeGreaterThan(0);
  expect(documents).toEqual(["/leaderboard", "/leaderboard"]);
  await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
  expect(errors.filter(([document]) => document > 1)).toEqual([]);
});

test("a tab whose chunks never arrive loads the page whole once, then says so @split", async ({ page }) => {
  const { documents, errors } = watchDocuments(page);
  const live = () => page.waitForResponse((response) => response.url().includes("/events/public"));
  let stream = live();
  await page.goto("/");
  await stream;
  // From here on no page code arrives: a server that names files it does not have, or a
  // connection that drops every such download.
  await page.route(PAGE_CODE, (route) => route.fulfill({ status: 404, contentType: "text/html", body: "<h1>Not found</h1>" }));
  const account = page.getByRole("navigation", { name: "Account" });

  // The router cannot load the leaderboard's code, so the browser loads the page whole; that
  // page cannot load its code either and stays as the server rendered it, loaded once (its
  // hydration gives up, with an error in the console: the page's content has no code).
  await account.getByRole("link", { name: "Leaderboard" }).click();
  await expect(page).toHaveURL(/\/leaderboard$/);
  await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
  await expect.poll(() => documents).toEqual(["/", "/leaderboard"]);
  // Absence cannot be waited for: give a loop the time to show itself.
  await page.waitForTimeout(2_000);
  expect(documents).toEqual(["/", "/leaderboard"]);

  // Its links still work (the router goes on after hydration gave up); the map, in the first
  // bundle, is live again.
  stream = live();
  await page.getByRole("link", { name: "Meridian" }).click();
  await expect(page).toHaveURL(/\/$/);
  await stream;
  const before = errors.length;
  // Asked again so soon, the leaderboard says it could not be loaded rather than loading again.
  await account.getByRole("link", { name: "Leaderboard" }).click();
  await expect(page.getByRole("heading", { name: "This page could not be loaded." })).toBeVisible();
  await expect(page.getByRole("link", { name: "Try again" })).toHaveAttribute("href", "/leaderboard");
  expect(documents.filter((path) => path === "/leaderboard")).toEqual(["/leaderboard"]);
  // Neither the tab that followed the link nor the one that said so met an error.
  expect(errors.filter(([document]) => document === 1)).toEqual([]);
  expect(errors.slice(before)).toEqual([]);
});

test("an instance started from the binary names the same bundle @smoke", async ({ request }) => {
  const suite = bundleIn(await (await request.get("/signin")).text());
  expect(suite).toHaveLength(3);
  const instance = await startInstance();
  try {
    const own = bundleIn(await (await request.get(`${instance.baseURL}/signin`)).text());
    expect(own).toEqual(suite);
  } finally {
    await instance.stop();
  }
});
