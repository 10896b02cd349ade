import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import * as path from "node:path";
import pg from "pg";
import {
  expect,
  type Browser,
  type BrowserContextOptions,
  type BrowserContext,
  type Locator,
  type Page,
} from "@playwright/test";

export const PASSWORD = "correct horse battery";

/** A handle no other test run has used: 3–24 of a-z 0-9 _ -. */
export function uniqueHandle(prefix: string): string {
  const suffix = Date.now().toString(36).slice(-5) + Math.random().toString(36).slice(2, 6);
  return `${prefix}_${suffix}`.slice(0, 24);
}

export const PARIS = { latitude: 48.8606, longitude: 2.3376 };
export const TOKYO = { latitude: 35.6895, longitude: 139.6917 };

/** Signs up through the form, as a player would. */
export async function signUp(page: Page, handle: string, name: string) {
  await page.goto("/signup");
  const form = page.getByRole("form", { name: "Sign up" });
  await form.getByLabel("Handle").fill(handle);
  await form.getByLabel("Display name").fill(name);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign up" }).click();
}

export async function signIn(page: Page, handle: string) {
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Handle").fill(handle);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/** The marker of a player on the map (Leaflet gives keyboard markers the button role). */
export function marker(page: Page, title: string) {
  return page.getByRole("region", { name: "World map" }).getByRole("button", { name: title, exact: true });
}

/**
 * Opens a marker's popup from the keyboard, as Leaflet allows: markers of players from the
 * same city share a spot, so a pointer click could land on another.
 */
export async function openPopup(marker: Locator) {
  await marker.focus();
  await marker.press("Enter");
}

/**
 * Flies the map to a city through the place search (`label` as the search lists it, such as
 * "Paris, … France") and waits for the flight to end at a city's zoom, 9.
 */
export async function flyToCity(page: Page, query: string, label: RegExp) {
  const search = page.getByRole("search", { name: "Find a place" });
  await search.getByRole("searchbox").fill(query);
  await search.getByRole("button", { name: label }).first().click();
  await expect(page.getByRole("region", { name: "World map" })).toHaveAttribute("data-zoom", "9");
}

export const LIMA = { latitude: -12.0464, longitude: -77.0428 };

export type Place = { latitude: number; longitude: number };

export type Player = { context: BrowserContext; page: Page; handle: string; name: string };

/**
 * A player in a browser context of their own (own cookies, own position), signed up from
 * `place` and back on the map with their home set. The caller closes the context.
 */
export async function newPlayer(
  browser: Browser,
  place: Place,
  prefix: string,
  options: BrowserContextOptions = {},
): Promise<Player> {
  const context = await browser.newContext({ geolocation: place, permissions: ["geolocation"], ...options });
  const page = await context.newPage();
  const handle = uniqueHandle(prefix);
  const name = `${prefix.charAt(0).toUpperCase()}${prefix.slice(1)} ${handle.slice(-4)}`;
  await signUp(page, handle, name);
  // Their own marker proves the home is set and the map is live.
  await expect(marker(page, `${name} (you)`)).toBeVisible();
  return { context, page, handle, name };
}

const REPO = path.resolve(__dirname, "../..");

/** MERIDIAN_E2E_BIN, else the newer of the debug and release builds: the one just built. */
function serverBinary(): string {
  const chosen = process.env.MERIDIAN_E2E_BIN;
  if (chosen) return chosen;
  const built = ["debug", "release"]
    .map((profile) => path.join(REPO, "target", profile, "meridian"))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (built.length === 0) {
    throw new Error(`no server binary in ${REPO}/target/{debug,release}; set MERIDIAN_E2E_BIN`);
  }
  return built[0];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export type Instance = { baseURL: string; stop(): Promise<void> };

/**
 * Starts another instance of the server on a free port, sharing the suite server's database
 * (DATABASE_URL comes from the environment unless `env` names another; `env` may set any of
 * the server's variables), and waits until `/readyz` answers 200. Close the
 * browser contexts that use it before `stop()`: their event streams hold connections open.
 */
export async function startInstance(env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const child = spawn(serverBinary(), [], {
    env: {
      ...process.env,
      ...env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(REPO, "target", "site"),
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_OUTPUT_NAME: "meridian",
      LEPTOS_ENV: "PROD",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });

  // The last of its output, for the error when it dies or never gets ready.
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const tail = () => output.trimEnd().split("\n").slice(-40).join("\n");

  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (err) => {
      ended ??= `could not start (${err.message})`;
      resolve();
    });
    child.once("exit", (code, signal) => {
      ended ??= `exited (${signal ?? `code ${code}`})`;
      resolve();
    });
  });
  // Never outlive the test worker.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (ended) return;
    child.kill("SIGTERM");
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 15_000)),
    ]);
    if (timedOut) {
      child.kill("SIGKILL");
      await exited;
    }
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (ended) {
      throw new Error(`the second server instance ${ended} before it was ready:\n${tail()}`);
    }
    try {
      const response = await fetch(`${baseURL}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.text();
      if (response.status === 200) return { baseURL, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the second server instance was not ready on ${baseURL} within 60 s:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A server instance with a database of its own (created now, dropped by `stop()`), for tests
 * whose world must move only with what they do: the suite's other tests sign players up and
 * write all the time. `env` may set any of the server's variables.
 */
export async function ownWorld(
  name: string,
  env: Record<string, string> = {},
): Promise<Instance & { databaseURL: string }> {
  const adminUrl = process.env.DATABASE_URL ?? "";
  const database = `meridian_e2e_${name}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const instance = await startInstance({
    DATABASE_URL: url.toString(),
    MERIDIAN_TILE_URL: "",
    MERIDIAN_PRESENCE_TIMEOUT_SECS: "4",
    MERIDIAN_KEEP_ALIVE_SECS: "2",
    ...env,
  });
  return {
    baseURL: instance.baseURL,
    // Its database, for tests that seed it.
    databaseURL: url.toString(),
    async stop() {
      await instance.stop();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${database}" with (force)`);
      await admin.end();
    },
  };
}
