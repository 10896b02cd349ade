//! `--mode pages`: server-rendered pages as signed-in players load them, on a world of 1,000
//! players with homes. `--clients` players (50 by default in this mode's example) each load
//! one page after another for `--seconds` per page, whole (the HTML is rendered once every
//! resource the page awaits has answered, so its end is the first paint's start). Back to
//! back by default, which measures the server's ceiling (the latency is then mostly the
//! queue: 50 clients over N pages a second wait 50/N s on average); with `--pause MS` each
//! player reads a page for about that long before the next, which is what 50 people online
//! at once ask of the server. As many other players first load every page once (a warm
//! server). Each phase prints percentiles and requests a second; `GET /healthz` on the same
//! connections is the baseline.

use super::{api::phase, start_server, Args};

const PLAYERS: i64 = 1000;

pub async fn run(args: Args) {
    let server = start_server(&args).await;
    let run = std::process::id();
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into players (handle, display_name, password_hash, home_city_id)
         select 'page' || $2::text || '_' || n, 'Page player ' || n, 'x',
                (select id from cities order by population desc offset (n % 300) limit 1)
         from generate_series(1, $1) n
         returning id",
    )
    .bind(PLAYERS)
    .bind(run.to_string())
    .fetch_all(&server.pool)
    .await
    .expect("players");
    // The measured players, then as many others who warm the server up first.
    let mut cookies = Vec::new();
    for id in ids.iter().take(2 * args.clients) {
        let token = app::backend::sessions::create(&server.pool, *id)
            .await
            .expect("session");
        cookies.push(format!("meridian_session={token}"));
    }
    let warm = cookies.split_off(cookies.len() / 2);
    println!(
        "pages: {} signed-in clients, {} s per page, {PLAYERS} players on the map, {}",
        cookies.len(),
        args.seconds,
        match args.pause_ms {
            0 => "back to back".to_owned(),
            ms => format!("about {ms} ms between a client's pages"),
        }
    );
    let pause = std::time::Duration::from_millis(args.pause_ms);
    let http = reqwest::Client::new();
    let clients = cookies.len();
    let pages = [
        ("GET /healthz (baseline)", "/healthz".to_owned()),
        ("GET / (the map)", "/".to_owned()),
        ("GET /leaderboard", "/leaderboard".to_owned()),
        ("GET /chats", "/chats".to_owned()),
        ("GET /players/{h}", format!("/players/page{run}_1")),
        ("GET /dashboard", "/dashboard".to_owned()),
    ];
    // Warm-up: other players load every page once at the same concurrency, so the pool's
    // connections are open and their statements planned, as on a server that has been up a
    // while. The measured players' first page of the round (which chooses their tasks) is
    // still in the measurement, as it is for everyone at the top of each round.
    let warm_up = futures::future::join_all(warm.iter().map(|cookie| {
        let (http, base, pages) = (&http, &server.base, &pages);
        async move {
            for (_, path) in pages {
                let answer = http
                    .get(format!("{base}{path}"))
                    .header("cookie", cookie)
                    .header("accept", "text/html")
                    .send()
                    .await;
                if !answer.is_ok_and(|a| a.status().is_success()) {
                    return false;
                }
            }
            true
        }
    }))
    .await;
    assert!(warm_up.iter().all(|ok| *ok), "a warm-up page failed");
    let mut baseline = None;
    for (name, path) in pages {
        let (http, base, cookies) = (http.clone(), server.base.clone(), cookies.clone());
        let measured = phase(name, clients, args.seconds, pause, move |w, _| {
            let request = http
                .get(format!("{base}{path}"))
                .header("cookie", &cookies[w])
                .header("accept", "text/html");
            async move {
                match request.send().await {
                    Ok(answer) if answer.status().is_success() => answer.bytes().await.is_ok(),
                    _ => false,
                }
            }
        })
        .await;
        let base_p50 = *baseline.get_or_insert(measured.p50);
        println!(
            "{:<28} p50 {:.1}× the baseline's",
            "",
            measured.p50 / base_p50
        );
    }
}
