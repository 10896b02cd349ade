import { test as base, expect, type BrowserContextOptions, type Page } from "@playwright/test";
import pg from "pg";
import {
  LIMA,
  PARIS,
  TOKYO,
  marker,
  newPlayer,
  openPopup,
  signUp,
  startInstance,
  uniqueHandle,
  type Instance,
  type Place,
  type Player,
} from "./helpers";

// Every player gets a browser context of their own; all of them close when the test ends, so
// no event stream stays open into the next test (or keeps a second instance from stopping).
type NewPlayer = (place: Place, prefix: string, options?: BrowserContextOptions) => Promise<Player>;

const test = base.extend<{ player: NewPlayer }>({
  player: async ({ browser }, use) => {
    const before = new Set(browser.contexts());
    await use((place, prefix, options) => newPlayer(browser, place, prefix, options));
    await Promise.all(
      browser
        .contexts()
        .filter((context) => !before.has(context))
        .map((context) => context.close()),
    );
  },
});

/** Live delivery from one server instance to another goes through the database. */
const ACROSS_INSTANCES = { timeout: 30_000 };

function connection(page: Page) {
  return page.getByRole("status", { name: "Connection" });
}

function chatList(page: Page) {
  return page.getByRole("navigation", { name: "Chats" });
}

function chatItem(page: Page, chatId: string) {
  return chatList(page).locator(`li[data-chat-id="${chatId}"]`);
}

function conversation(page: Page, otherName: string) {
  return page.getByRole("region", { name: `Chat with ${otherName}`, exact: true });
}

function composer(page: Page) {
  return page.getByRole("form", { name: "Send a message" });
}

/** Sends with the button (the Enter key is exercised on its own). */
async function send(page: Page, text: string) {
  await composer(page).getByLabel("Message").fill(text);
  await composer(page).getByRole("button", { name: "Send" }).click();
}

/** From the map: opens the other player's popup, says hi, returns the chat's id. */
async function sayHi(page: Page, otherName: string): Promise<string> {
  const theirs = marker(page, otherName);
  await expect(theirs).toBeAttached();
  // The map may still be settling (its first framing, the outlines arriving) and close the
  // popup under the click: open it and say hi again until the chat opens (saying hi twice
  // opens the same chat).
  await expect(async () => {
    if (/\/chats\/\d+$/.test(page.url())) return;
    await openPopup(theirs);
    // Leaflet may still be fading out a popup opened before: pick theirs by its text.
    const popup = page.locator(".leaflet-popup-content").filter({ hasText: otherName });
    await expect(popup).toBeVisible({ timeout: 3_000 });
    await popup.getByRole("button", { name: "Say hi" }).click({ timeout: 3_000 });
    // A posted form: the browser follows the redirect to the chat.
    await page.waitForURL(/\/chats\/\d+$/, { timeout: 5_000 });
  }).toPass({ timeout: 40_000 });
  return page.url().match(/\/chats\/(\d+)$/)![1];
}

/** The player's chat list, reached from the header link, with the stream up. */
async function openChats(page: Page) {
  await page.getByRole("link", { name: "Chats" }).click();
  await expect(page).toHaveURL(/\/chats$/);
  await expect(chatList(page)).toBeAttached();
  await expect(connection(page)).toHaveText("Live");
}

/**
 * Kenji (Tokyo) signs up, then Amélie (Paris), who says hi to him from the map: her chat with
 * him is open and live. With `kenjiOnChats`, Kenji waits on his chat list, stream up.
 */
async function amelieSaysHi(player: NewPlayer, kenjiOnChats = false) {
  const kenji = await player(TOKYO, "kenji");
  if (kenjiOnChats) await openChats(kenji.page);
  const amelie = await player(PARIS, "amelie");
  const a = amelie.page;
  const chatId = await sayHi(a, kenji.name);
  const withKenji = conversation(a, kenji.name);
  await expect(connection(a)).toHaveText("Live");
  return { kenji, amelie, a, chatId, withKenji };
}

test("two players chat live @smoke", async ({ player }) => {
  // Three players sign up, each on a debug build's password hashing.
  test.setTimeout(90_000);
  const kenji = await player(TOKYO, "kenji");
  await openChats(kenji.page);
  // A new player has no chats yet.
  await expect(chatList(kenji.page).locator("li[data-chat-id]")).toHaveCount(0);

  // Amélie signs up after Kenji, so his marker is on her map.
  const amelie = await player(PARIS, "amelie");
  const a = amelie.page;
  await openPopup(marker(a, `${amelie.name} (you)`));
  await expect(a.locator(".leaflet-popup-content")).toContainText(amelie.name);
  // Nobody says hi to themselves.
  await expect(a.locator(".leaflet-popup-content").getByRole("button", { name: "Say hi" })).toHaveCount(0);

  const chatId = await sayHi(a, kenji.name);
  const withKenji = conversation(a, kenji.name);
  await expect(withKenji).toBeVisible();
  await expect(connection(a)).toHaveText("Live");
  await expect(withKenji.locator("li.message")).toHaveCount(0);

  await send(a, "Hello from Paris");
  const hello = withKenji.locator("li.message").filter({ hasText: "Hello from Paris" });
  await expect(hello).toHaveAttribute("data-mine", "true");
  await expect(hello.locator(".body")).toHaveText("Hello from Paris");
  // Shown at once, then confirmed once stored.
  await expect(hello).not.toHaveAttribute("data-pending", "true");
  await expect(hello).not.toHaveAttribute("data-failed", "true");
  await expect(composer(a).getByLabel("Message")).toHaveValue("");
  const mineInList = chatItem(a, chatId);
  await expect(mineInList.locator(".chat-name")).toHaveText(kenji.name);
  await expect(mineInList.locator(".chat-place")).toHaveText("Tokyo, Japan");
  await expect(mineInList.locator(".chat-preview")).toHaveText("You: Hello from Paris");
  await expect(mineInList.locator(".unread")).toHaveCount(0);

  // No reload on Kenji's list: the chat arrives through the live stream.
  const k = kenji.page;
  const fromAmelie = chatItem(k, chatId);
  await expect(fromAmelie.getByRole("link")).toContainText(amelie.name);
  await expect(fromAmelie.locator(".chat-name")).toHaveText(amelie.name);
  await expect(fromAmelie.locator(".chat-place")).toHaveText("Paris, France");
  await expect(fromAmelie.locator(".chat-preview")).toHaveText("Hello from Paris");
  await expect(fromAmelie.locator(".unread")).toHaveText("1");
  await expect(fromAmelie.locator(".online-dot")).toHaveAttribute("data-online", "true");
  // The header counts it too.
  const unreadTotal = k.getByRole("banner").locator(".chats-link .unread-total");
  await expect(unreadTotal).toHaveText("1");

  await fromAmelie.getByRole("link").click();
  await expect(k).toHaveURL(new RegExp(`/chats/${chatId}$`));
  const withAmelie = conversation(k, amelie.name);
  const received = withAmelie.locator("li.message").filter({ hasText: "Hello from Paris" });
  await expect(received).toHaveAttribute("data-mine", "false");
  // Opening the chat reads it.
  await expect(fromAmelie.locator(".unread")).toHaveCount(0);
  await expect(unreadTotal).toHaveCount(0);
  await expect(connection(k)).toHaveText("Live");

  // Typing shows on the other side within about a second.
  const input = composer(k).getByLabel("Message");
  await input.pressSequentially("Hi from Tokyo", { delay: 40 });
  const typing = withKenji.locator(".typing");
  await expect(typing).toHaveText(`${kenji.name} is typing…`);

  // Enter (without Shift) sends.
  await input.press("Enter");
  await expect(input).toHaveValue("");
  const reply = withKenji.locator("li.message").filter({ hasText: "Hi from Tokyo" });
  await expect(reply).toHaveAttribute("data-mine", "false");
  await expect(reply.locator(".body")).toHaveText("Hi from Tokyo");
  // Each message once, in order, on both sides: the sender's own copy is not doubled by its
  // live echo.
  await expect(withKenji.locator("li.message .body")).toHaveText(["Hello from Paris", "Hi from Tokyo"]);
  await expect(withAmelie.locator("li.message .body")).toHaveText(["Hello from Paris", "Hi from Tokyo"]);
  await expect(withAmelie.locator("li.message").last()).toHaveAttribute("data-mine", "true");
  await expect(mineInList.locator(".chat-preview")).toHaveText("Hi from Tokyo");
  await expect(fromAmelie.locator(".chat-preview")).toHaveText("You: Hi from Tokyo");
  // The indicator goes away on its own.
  await expect(typing).toBeHidden();

  // A third player cannot see the chat, nor learn that it exists.
  const rosa = await player(LIMA, "rosa");
  const r = rosa.page;
  const response = await r.goto(`/chats/${chatId}`);
  expect(response?.status()).toBe(404);
  await expect(r.getByText("Chat not found.")).toBeVisible();
  await expect(r.getByRole("region", { name: /^Chat with / })).toHaveCount(0);
  await expect(r.locator(`[data-chat-id="${chatId}"]`)).toHaveCount(0);
  await expect(r.getByText("Hello from Paris")).toHaveCount(0);
  await expect(r.getByText("Hi from Tokyo")).toHaveCount(0);
  // A chat that does not exist looks the same.
  const missing = await r.goto("/chats/999999999");
  expect(missing?.status()).toBe(404);
  await expect(r.getByText("Chat not found.")).toBeVisible();
  await expect(r.getByRole("region", { name: /^Chat with / })).toHaveCount(0);
});

test("html in a message is shown as text", async ({ player }) => {
  const payload = `<img src=x onerror="window.__pwned=1">`;
  const { kenji, amelie, a, chatId, withKenji } = await amelieSaysHi(player, true);

  await send(a, payload);
  const sent = withKenji.locator("li.message").filter({ hasText: "onerror" });
  await expect(sent.locator(".body")).toHaveText(payload);
  await expect(sent).not.toHaveAttribute("data-pending", "true");
  await expect(withKenji.locator("ol.messages img")).toHaveCount(0);

  // The live list, the conversation opened from it, and the server-rendered page after a
  // reload all show the text.
  const k = kenji.page;
  const item = chatItem(k, chatId);
  await expect(item.locator(".chat-preview")).toContainText("<img src=x");
  await expect(k.locator('img[src="x"]')).toHaveCount(0);
  await item.getByRole("link").click();
  const withAmelie = conversation(k, amelie.name);
  await expect(withAmelie.locator("li.message .body")).toHaveText([payload]);
  await k.reload();
  await expect(withAmelie.locator("li.message .body")).toHaveText([payload]);
  await expect(connection(k)).toHaveText("Live");
  await expect(withAmelie.locator("ol.messages img")).toHaveCount(0);
  await expect(k.locator('img[src="x"]')).toHaveCount(0);

  expect(await a.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(await k.evaluate(() => (window as any).__pwned)).toBeUndefined();
});

test("bad messages are refused with a clear error", async ({ player }) => {
  const { a, withKenji } = await amelieSaysHi(player);
  const messages = withKenji.locator("li.message");
  const error = withKenji.getByRole("alert");

  await send(a, "   \n  ");
  await expect(error).toHaveText(/message is empty/i);
  await expect(messages).toHaveCount(0);

  // The textarea has no maxlength: the server's rule is the one tested.
  await send(a, "a".repeat(1001));
  await expect(error).toHaveText(/at most 1000 characters/i);
  await expect(messages).toHaveCount(0);

  // After an error the composer still works, up to the limit (counted in characters, not
  // bytes).
  const longest = "é".repeat(1000);
  await send(a, longest);
  await expect(messages).toHaveCount(1);
  await expect(messages.locator(".body")).toHaveText(longest);
  await expect(messages).toHaveAttribute("data-mine", "true");
  await expect(messages).not.toHaveAttribute("data-pending", "true");
  await expect(messages).not.toHaveAttribute("data-failed", "true");
});

test.describe("across two server instances", () => {
  let second: Instance | undefined;

  test.beforeAll(async () => {
    // A debug build starts slowly (it migrates and loads the place catalogue).
    test.setTimeout(90_000);
    second = await startInstance();
  });

  // The test's contexts are closed by then, so no stream holds the instance open.
  test.afterAll(async () => {
    await second?.stop();
  });

  test("a chat across two server instances", async ({ player }) => {
    test.setTimeout(90_000);
    const otherInstance = second!.baseURL;
    const kenji = await player(TOKYO, "kenji", { baseURL: otherInstance });
    const k = kenji.page;
    await openChats(k);
    expect(k.url().startsWith(`${otherInstance}/`)).toBe(true);

    const amelie = await player(PARIS, "amelie");
    const a = amelie.page;
    const chatId = await sayHi(a, kenji.name);
    const withKenji = conversation(a, kenji.name);
    await expect(connection(a)).toHaveText("Live");
    await send(a, "Hello across instances");
    const hello = withKenji.locator("li.message").filter({ hasText: "Hello across instances" });
    await expect(hello).toHaveAttribute("data-mine", "true");
    await expect(hello).not.toHaveAttribute("data-pending", "true");

    // Stored through instance 1, delivered live by instance 2.
    const item = chatItem(k, chatId);
    await expect(item.locator(".unread")).toHaveText("1", ACROSS_INSTANCES);
    await expect(item.locator(".chat-preview")).toHaveText("Hello across instances");
    await item.getByRole("link").click();
    const withAmelie = conversation(k, amelie.name);
    await expect(withAmelie.locator("li.message .body")).toHaveText(["Hello across instances"]);
    await expect(connection(k)).toHaveText("Live");

    const input = composer(k).getByLabel("Message");
    await input.pressSequentially("Konnichiwa", { delay: 40 });
    await expect(withKenji.locator(".typing")).toHaveText(`${kenji.name} is typing…`, ACROSS_INSTANCES);
    await input.press("Enter");
    const reply = withKenji.locator("li.message").filter({ hasText: "Konnichiwa" });
    await expect(reply).toHaveAttribute("data-mine", "false", ACROSS_INSTANCES);
    await expect(withKenji.locator("li.message .body")).toHaveText(["Hello across instances", "Konnichiwa"]);
    await expect(chatItem(a, chatId).locator(".chat-preview")).toHaveText("Konnichiwa");
  });
});

/** The signed-in player's id, as the page's own server function reports it. */
async function playerId(page: Page): Promise<number> {
  const me = await (await page.request.get("/api/account/me")).json();
  return me.id;
}

test("a failed send stays with a retry, and a lost answer makes no duplicate", async ({ player }) => {
  const { a, withKenji } = await amelieSaysHi(player);
  const messages = withKenji.locator("li.message");

  // The network drops the request: the message stays, marked failed, with a retry.
  await a.route("**/api/chat/send", (route) => route.abort("internetdisconnected"));
  await send(a, "first try");
  const failed = messages.filter({ hasText: "first try" });
  await expect(failed).toHaveAttribute("data-failed", "true");
  await expect(failed.getByRole("button", { name: "Retry" })).toBeVisible();
  await a.unroute("**/api/chat/send");
  await failed.getByRole("button", { name: "Retry" }).click();
  await expect(failed).not.toHaveAttribute("data-pending", "true");
  await expect(messages.locator(".body")).toHaveText(["first try"]);

  // The server stores the message but its answer is lost: the live event confirms it, once.
  // (The event may come before the handler is done; it is waited for before unrouting.)
  let lost: Promise<void> = Promise.resolve();
  await a.route("**/api/chat/send", (route) => {
    lost = (async () => {
      await route.fetch();
      await route.abort("connectionreset");
    })();
    return lost;
  });
  await send(a, "answer lost");
  await expect(messages.locator(".body")).toHaveText(["first try", "answer lost"]);
  await expect(messages.last()).not.toHaveAttribute("data-pending", "true");
  await lost;
  await a.unroute("**/api/chat/send");
  await a.reload();
  await expect(withKenji.locator("li.message .body")).toHaveText(["first try", "answer lost"]);
});

test("messages sent in quick succession are stored in the order they were typed", async ({ player }) => {
  const { a, withKenji } = await amelieSaysHi(player);
  // The first send is held for a second; were the next two sent beside it, on other
  // connections, they would be stored before it.
  const bodies: string[] = [];
  let first = true;
  await a.route("**/api/chat/send", async (route) => {
    bodies.push(new URLSearchParams(route.request().postData() ?? "").get("body") ?? "");
    if (first) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    await route.continue();
  });
  await send(a, "one");
  await send(a, "two");
  await send(a, "three");
  const messages = withKenji.locator("li.message");
  await expect(messages.locator(".body")).toHaveText(["one", "two", "three"]);
  for (const m of await messages.all()) await expect(m).not.toHaveAttribute("data-pending", "true");
  expect(bodies).toEqual(["one", "two", "three"]);
  await a.unroute("**/api/chat/send");
  await a.reload();
  await expect(withKenji.locator("li.message .body")).toHaveText(["one", "two", "three"]);
});

test("a send with no answer fails after a while, and the messages behind it go on", async ({ player }) => {
  const { a, withKenji } = await amelieSaysHi(player);
  // The first send never gets an answer (the request is held until the page gives it up).
  let first = true;
  await a.route("**/api/chat/send", async (route) => {
    if (first) {
      first = false;
      return;
    }
    await route.continue();
  });
  await send(a, "lost");
  await send(a, "after");
  const failed = withKenji.locator('li.message[data-failed="true"]');
  await expect(failed.locator(".send-error")).toHaveText("No answer from the server.", { timeout: 25_000 });
  await expect(failed.locator(".body")).toHaveText("lost");
  // The one behind it was sent once the first was given up.
  await expect(withKenji.locator("li.message:not([data-pending]) .body")).toHaveText(["after"]);
  // A retry sends it.
  await failed.getByRole("button", { name: "Retry" }).click();
  await expect(withKenji.locator("li.message .body")).toHaveText(["after", "lost"]);
  await expect(withKenji.locator("li.message[data-pending]")).toHaveCount(0);
  await a.unroute("**/api/chat/send");
  await a.reload();
  await expect(withKenji.locator("li.message .body")).toHaveText(["after", "lost"]);
});

test("history loads 50 at a time and older pages keep the scroll position", async ({ player }) => {
  const { kenji, a, chatId } = await amelieSaysHi(player);
  // 120 messages written straight into the database: sending them would take the rate
  // limit's two minutes.
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `insert into messages (chat_id, sender_id, body)
       select $1, case when n % 2 = 0 then $2::bigint else $3::bigint end, 'message ' || n
       from generate_series(1, 120) n`,
      [chatId, await playerId(a), await playerId(kenji.page)],
    );
  } finally {
    await db.end();
  }

  await a.reload();
  // Hydrated (the stream is up) before anything is clicked.
  await expect(connection(a)).toHaveText("Live");
  const withKenji = conversation(a, kenji.name);
  const bodies = withKenji.locator("li.message .body");
  await expect(bodies).toHaveCount(50);
  await expect(bodies.first()).toHaveText("message 71");
  await expect(bodies.last()).toHaveText("message 120");

  const list = withKenji.locator("ol.messages");
  await list.evaluate((el) => (el.scrollTop = 0));
  const anchor = bodies.filter({ hasText: /^message 71$/ });
  const before = await anchor.boundingBox();
  await withKenji.getByRole("button", { name: "Load older" }).click();
  await expect(bodies).toHaveCount(100);
  await expect(bodies.first()).toHaveText("message 21");
  // What the player was looking at has not moved.
  await expect
    .poll(async () => Math.abs((await anchor.boundingBox())!.y - before!.y))
    .toBeLessThan(2);

  await list.evaluate((el) => (el.scrollTop = 0));
  await withKenji.getByRole("button", { name: "Load older" }).click();
  await expect(bodies).toHaveCount(120);
  await expect(bodies.first()).toHaveText("message 1");
  await expect(withKenji.getByRole("button", { name: "Load older" })).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test("say hi from the player list and send a message", async ({ player, browser }) => {
    test.setTimeout(90_000);
    const kenji = await player(TOKYO, "kenji");
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const page = await plain.newPage();
    await signUp(page, uniqueHandle("plain"), "Plain Chatter");
    await expect(page).toHaveURL(/\/home$/);
    await page.getByRole("searchbox", { name: "Find your city" }).fill("Nairobi");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("button", { name: /^Nairobi, .*Kenya$/ }).click();
    await page.goto("/");

    // No Leaflet without scripts: the server-rendered list of players has the same "Say hi".
    const players = page.getByRole("group");
    await players.locator("summary").click();
    await players.getByRole("listitem").filter({ hasText: kenji.name }).getByRole("button", { name: "Say hi" }).click();
    await expect(page).toHaveURL(/\/chats\/\d+$/);
    const withKenji = conversation(page, kenji.name);
    await withKenji.getByRole("textbox", { name: "Message" }).fill("Hello without scripts");
    await withKenji.getByRole("button", { name: "Send" }).click();
    // Back where the form was posted from (the framework may add an empty query).
    await expect(page).toHaveURL(/\/chats\/\d+\??$/);
    await expect(withKenji.locator("li.message .body")).toHaveText(["Hello without scripts"]);
    await expect(withKenji.locator("li.message")).toHaveAttribute("data-mine", "true");

    await openChats(kenji.page);
    const fromPlain = chatList(kenji.page).locator("li[data-chat-id]").filter({ hasText: "Plain Chatter" });
    await expect(fromPlain.locator(".chat-preview")).toHaveText("Hello without scripts");
    await expect(fromPlain.locator(".unread")).toHaveText("1");

    // Kenji answers; without scripts, opening the chat reads it.
    await fromPlain.getByRole("link").click();
    await expect(connection(kenji.page)).toHaveText("Live");
    await send(kenji.page, "Jambo!");
    await send(kenji.page, "Habari?");
    const sent = conversation(kenji.page, "Plain Chatter").locator("li.message[data-mine=true]");
    await expect(sent).toHaveCount(2);
    for (const m of await sent.all()) await expect(m).not.toHaveAttribute("data-pending", "true");
    await page.goto("/chats");
    const fromKenji = chatList(page).locator("li[data-chat-id]").filter({ hasText: kenji.name });
    await expect(fromKenji.locator(".unread")).toHaveText("2");
    await expect(page.locator(".unread-total")).toHaveText("2");
    await fromKenji.getByRole("link").click();
    await expect(withKenji.locator("li.message .body")).toHaveText(["Hello without scripts", "Jambo!", "Habari?"]);
    await page.goto("/chats");
    await expect(fromKenji).toBeVisible();
    await expect(fromKenji.locator(".unread")).toHaveCount(0);
    await expect(page.locator(".unread-total")).toHaveCount(0);
  });
});

test("times show in each player's own time zone, with the day above the first message", async ({ player }) => {
  test.setTimeout(90_000);
  const kenji = await player(TOKYO, "kenji", { timezoneId: "Asia/Tokyo" });
  const amelie = await player(PARIS, "amelie", { timezoneId: "America/Lima" });
  const a = amelie.page;
  const chatId = await sayHi(a, kenji.name);
  await expect(connection(a)).toHaveText("Live");
  await send(a, "What time is it in Tokyo?");
  await expect(conversation(a, kenji.name).locator("li.message").first()).not.toHaveAttribute(
    "data-pending",
    "true",
  );

  const clock = (zone: string, iso: string) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
      new Date(iso),
    );
  const k = kenji.page;
  await k.goto(`/chats/${chatId}`);
  await expect(connection(k)).toHaveText("Live");
  const withAmelie = conversation(k, amelie.name);
  const theirTime = withAmelie.locator("li.message time").first();
  const iso = (await theirTime.getAttribute("datetime")) ?? "";
  await expect(theirTime).toHaveText(clock("Asia/Tokyo", iso));
  await expect(withAmelie.locator("li.day").first()).toHaveText("Today");
  // The same message, on Amélie's page, in Lima's time (14 hours apart).
  await a.reload();
  await expect(connection(a)).toHaveText("Live");
  await expect(conversation(a, kenji.name).locator("li.message time").first()).toHaveText(clock("America/Lima", iso));
  // The chat list says the time of day for today.
  await expect(chatItem(k, chatId).locator("time")).toHaveText(clock("Asia/Tokyo", iso));
});

test("on a phone the header is one row with a menu, and a chat is a screen of its own", async ({ player }) => {
  test.setTimeout(90_000);
  const phone = { viewport: { width: 390, height: 844 } };
  // Amélie first: Kenji's map then frames both homes (it holds the markers of its view only).
  const amelie = await player(PARIS, "amelie", phone);
  const kenji = await player(TOKYO, "kenji");
  const a = amelie.page;
  const chatId = await sayHi(kenji.page, amelie.name);
  await expect(connection(kenji.page)).toHaveText("Live");
  await send(kenji.page, "Bonjour from Tokyo");

  // One row: the links wait behind the menu, which opens over the page and closes on a link.
  await a.goto("/chats");
  const header = a.locator("header.site-header");
  const menu = a.getByRole("checkbox", { name: "Menu" });
  const nav = a.getByRole("navigation", { name: "Account" });
  await expect(nav.getByRole("link", { name: /Chats/ })).toBeHidden();
  expect((await header.boundingBox())?.height ?? 999).toBeLessThan(64);
  await a.locator("label.nav-toggle-label").click();
  await expect(menu).toBeChecked();
  const leaderboard = nav.getByRole("link", { name: "Leaderboard" });
  await expect(leaderboard).toBeVisible();
  expect((await leaderboard.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(24);
  await nav.getByRole("link", { name: /Chats/ }).click();
  await expect(menu).not.toBeChecked();

  // The list is a screen; the chat another, with a way back.
  await expect(chatList(a)).toBeVisible();
  await chatList(a).getByRole("link", { name: new RegExp(kenji.name) }).click();
  await expect(a).toHaveURL(new RegExp(`/chats/${chatId}$`));
  const withKenji = conversation(a, kenji.name);
  await expect(withKenji).toContainText("Bonjour from Tokyo");
  await expect(chatList(a)).toBeHidden();
  await withKenji.getByRole("link", { name: "← All chats" }).click();
  await expect(a).toHaveURL(/\/chats$/);
  await expect(chatList(a)).toBeVisible();
});
