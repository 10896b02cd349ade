import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { LIMA, PARIS, TOKYO, newPlayer, signIn, startInstance, type Instance } from "./helpers";

/**
 * The game with rounds of a few seconds, on a server instance of its own with a database of
 * its own: its rounds would otherwise reach the suite's other pages, and its world must hold
 * only the players this test makes (tasks go to the regions of players who exist).
 */
const ROUND_SECS = 40;

let instance: Instance;
let database: string;
let adminUrl: string;

test.beforeAll(async () => {
  adminUrl = process.env.DATABASE_URL ?? "";
  database = `meridian_e2e_game_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  instance = await startInstance({ DATABASE_URL: url.toString(), MERIDIAN_ROUND_SECS: String(ROUND_SECS) });
});

test.afterAll(async () => {
  await instance?.stop();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${database}" with (force)`);
  await admin.end();
});

/** Seconds left in the round, as the header shows it ("0:17"). */
async function secondsLeft(page: Page): Promise<number> {
  const text = (await page.getByTestId("round-countdown").textContent()) ?? "";
  const [m, s] = text.split(":").map(Number);
  return m * 60 + s;
}

test("a task for a region completes by saying hi to its player, and the next round brings new tasks", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const options = { baseURL: instance.baseURL };
  const kenji = await newPlayer(browser, TOKYO, "kenji", options);
  const amelie = await newPlayer(browser, PARIS, "amelie", options);
  const a = amelie.page;
  // Rosa watches this round's leaderboard.
  const rosa = await newPlayer(browser, LIMA, "rosa", options);
  await rosa.page.goto("/leaderboard?window=round");
  const board = rosa.page.getByRole("table", { name: /This round/ });

  // Start with a round that has time left for the whole exchange.
  const countdown = a.getByTestId("round-countdown");
  await expect(countdown).toHaveText(/^\d+:\d\d$/);
  if ((await secondsLeft(a)) < 25) {
    await expect.poll(() => secondsLeft(a), { timeout: 30_000 }).toBeGreaterThan(25);
    await a.reload();
    // Live again (hydrated) before anything is clicked.
    await expect(a.getByRole("status", { name: "Connection" })).toHaveText("Live");
  }

  const tasks = a.getByRole("list", { name: "Tasks" });
  const task = tasks.getByRole("button", { name: /Talk to someone from Tokyo, Japan/ });
  await expect(task).toBeVisible();
  await expect(task).toContainText(/\+\d+/);
  const worth = Number(((await task.locator(".task-points").textContent()) ?? "").replace("+", ""));
  const round = await tasks.getAttribute("data-round");

  // Picking the task lists the players from there; saying hi opens the chat.
  await task.click();
  const fromThere = a.getByRole("region", { name: "Players from Tokyo, Japan" });
  await expect(fromThere).toContainText(kenji.name);
  await fromThere.getByRole("button", { name: "Say hi" }).click();
  await expect(a).toHaveURL(/\/chats\/\d+$/);
  await expect(a.getByRole("status", { name: "Connection" })).toHaveText("Live");
  const box = a.getByRole("textbox", { name: "Message" });
  await box.fill("Konnichiwa from Paris!");
  await box.press("Enter");

  // Live, on the chat page: the toast; back on the map, the task is done and the points count.
  await expect(a.getByRole("status").filter({ hasText: "Task complete" })).toHaveText(
    `Task complete, +${worth}: you talked to someone from Tokyo, Japan`,
  );
  // Rosa's open board moved Amélie's row in, without a reload.
  await expect(board.locator(`tr[data-player="${amelie.handle}"]`)).toContainText(`${worth}`);
  await expect(board.locator(`tr[data-player="${amelie.handle}"] td`).first()).toHaveText("1");
  await a.goto("/");
  await expect(tasks.getByRole("button", { name: /Tokyo, Japan/ })).toContainText(`Done, +${worth}`);
  await expect(a.getByRole("table", { name: /This round/ }).locator(`tr[data-player="${amelie.handle}"]`)).toBeVisible();
  await expect(a.getByTestId("my-points")).toHaveText(`${worth} points`);

  // Amélie's profile, read without JavaScript: the chart of points per day is on the page.
  const noScript = await browser.newContext({ ...options, javaScriptEnabled: false });
  const reader = await noScript.newPage();
  await signIn(reader, kenji.handle);
  await reader.goto(`/players/${amelie.handle}`);
  const chart = reader.getByRole("img", { name: /Points per day over the last 30 days/ });
  await expect(chart).toHaveAttribute("aria-label", new RegExp(`: ${worth} points in all`));
  await expect(chart.locator("rect")).toHaveCount(30);
  await expect(chart.locator("rect").last()).toHaveAttribute("data-value", String(worth));
  await expect(reader.getByText("Tasks completed")).toBeVisible();
  await noScript.close();

  // The round ends: without a reload, the countdown starts again and the tasks are the new
  // round's (open again).
  await expect(tasks).not.toHaveAttribute("data-round", round ?? "", { timeout: (ROUND_SECS + 5) * 1000 });
  expect(await secondsLeft(a)).toBeGreaterThan(ROUND_SECS / 2);
  await expect(tasks.getByRole("button", { name: /Tokyo, Japan/ })).not.toContainText("Done");
  await expect(a.getByTestId("my-points")).toHaveText(`${worth} points`);

  await kenji.context.close();
  await amelie.context.close();
  await rosa.context.close();
});
