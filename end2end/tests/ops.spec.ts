import { expect, test } from "@playwright/test";
import pg from "pg";
import { PARIS, TOKYO, newPlayer, startInstance, uniqueHandle, type Instance } from "./helpers";

/**
 * The operator's and the spectator's pages, on an instance of their own with a database of
 * its own: the admin changes the task weights, which must not reach the suite's other games,
 * and the dashboard counts only what these tests do.
 */
let instance: Instance;
let database: string;
let adminUrl: string;
const boss = uniqueHandle("boss");

test.beforeAll(async () => {
  adminUrl = process.env.DATABASE_URL ?? "";
  database = `meridian_e2e_ops_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  instance = await startInstance({ DATABASE_URL: url.toString(), MERIDIAN_ADMINS: boss });
});

test.afterAll(async () => {
  await instance?.stop();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${database}" with (force)`);
  await admin.end();
});

test("a message sent in one browser moves a spectator's dashboard within a second", async ({ browser }) => {
  test.setTimeout(90_000);
  const options = { baseURL: instance.baseURL };
  const kenji = await newPlayer(browser, TOKYO, "kenji", options);
  const amelie = await newPlayer(browser, PARIS, "amelie", options);

  // A spectator, not signed in, watches the dashboard.
  const spectator = await browser.newContext(options);
  const s = await spectator.newPage();
  const stream = s.waitForResponse((r) => r.url().includes("/events/public"));
  await s.goto("/dashboard");
  await expect(s.getByRole("heading", { name: "Meridian right now" })).toBeVisible();
  await stream;
  const thisHour = s.locator('[data-stat="messages_this_hour"] .stat-value');
  await expect(thisHour).toHaveText(/^\d+$/);
  const before = Number(await thisHour.textContent());

  // Amélie says hi to Kenji from the players of his region, and writes.
  const a = amelie.page;
  const task = a.getByRole("list", { name: "Tasks" }).getByRole("button", { name: /Tokyo, Japan/ });
  await task.click();
  await a.getByRole("region", { name: "Players from Tokyo, Japan" }).getByRole("button", { name: "Say hi" }).click();
  await expect(a).toHaveURL(/\/chats\/\d+$/);
  await expect(a.getByRole("status", { name: "Connection" })).toHaveText("Live");
  const box = a.getByRole("textbox", { name: "Message" });
  await box.fill("Hello, dashboard");
  await box.press("Enter");
  await expect(a.locator("li.message").filter({ hasText: "Hello, dashboard" })).not.toHaveAttribute(
    "data-pending",
    "true",
  );
  // Stored: from here the projector counts it and announces the new numbers.
  await expect(thisHour).toHaveText(String(before + 1), { timeout: 1_000 });
  await expect(s.locator('[data-stat="today_players"] .stat-value')).not.toHaveText("0");
  await expect(s.getByRole("img", { name: /Messages per hour over the last 24 hours/ })).toHaveAttribute(
    "aria-label",
    new RegExp(`: ${before + 1} messages in all`),
  );
  await spectator.close();
  await kenji.context.close();
  await amelie.context.close();
});

test("the admin changes a weight and the next task is worth it; others cannot see the page", async ({ browser }) => {
  test.setTimeout(90_000);
  const options = { baseURL: instance.baseURL };
  // Someone who is not an admin gets the not-found page.
  const other = await newPlayer(browser, TOKYO, "rin", options);
  const refused = await other.page.goto("/admin");
  expect(refused?.status()).toBe(404);

  // The admin signs up with the handle the configuration names.
  const context = await browser.newContext({ ...options, geolocation: TOKYO, permissions: ["geolocation"] });
  const page = await context.newPage();
  await page.goto("/signup");
  const signup = page.getByRole("form", { name: "Sign up" });
  await signup.getByLabel("Handle").fill(boss);
  await signup.getByLabel("Display name").fill("The Boss");
  await signup.getByLabel("Password").fill("correct horse battery");
  await signup.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText("The Boss");

  await page.goto("/admin");
  const form = page.getByRole("form", { name: "Task weights" });
  await expect(form).toBeVisible();
  await expect(page.getByRole("status", { name: "Connection" })).toHaveText("Live");
  for (const [label, value] of [
    ["Low", "41"],
    ["Medium", "42"],
    ["High", "43"],
  ]) {
    await form.getByLabel(label, { exact: true }).fill(value);
  }
  await form.getByRole("button", { name: "Save weights" }).click();
  const changes = page.locator("table.changes tbody tr");
  await expect(changes).toHaveCount(1);
  await expect(changes.first()).toContainText(boss);
  await expect(changes.first()).toContainText("41/42/43 pts");

  // The admin issues an API key: shown once, working, then revoked.
  const issue = page.getByRole("form", { name: "Issue an API key" });
  await issue.getByLabel("Client").fill("quests");
  await issue.getByRole("button", { name: "Issue key" }).click();
  const shown = page.locator(".issued .api-key");
  await expect(shown).toHaveText(/^mk_[0-9a-f]{48}$/);
  const key = (await shown.textContent()) ?? "";
  const api = (k: string) =>
    page.request.get(`/api/v1/players/${boss}`, { headers: { authorization: `Bearer ${k}` } });
  expect((await api(key)).status()).toBe(200);
  const row = page.locator("table.keys tbody tr", { hasText: "quests" });
  await row.getByRole("button", { name: "Revoke the key of quests" }).click();
  await expect(row).toContainText("Revoked");
  expect((await api(key)).status()).toBe(401);

  // A player who joins now gets a task for Tokyo worth one of the new values.
  const amelie = await newPlayer(browser, PARIS, "amelie", options);
  const task = amelie.page.getByRole("list", { name: "Tasks" }).getByRole("button", { name: /Tokyo, Japan/ });
  await expect(task).toBeVisible();
  await expect(task.locator(".task-points")).toHaveText(/^\+4[123]$/);
  for (const c of [context, other.context, amelie.context]) await c.close();
});
