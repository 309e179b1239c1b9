//! The demo's business system: a small shop API the virtual agent's actions call —
//! orders, parcel tracking, fitting appointments (booked, rescheduled, refused when the
//! time is taken or the store is closed) and delivery addresses. In memory, behind a
//! bearer token, started by `tandem demo` (and by `tandem eval bot`) beside Tandem.
//!
//! Two orders misbehave on purpose, so the demo can show that a failed call is never
//! hidden: A9500 answers too late, A9503 answers 503.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Days, NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::{Value, json};

/// The token the demo's bot sends (as the `shop_token` secret).
pub const SHOP_TOKEN: &str = "demo-shop-token";

/// A running demo shop.
pub struct DemoShop {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

struct Order {
    status: &'static str,
    eta: String,
    carrier: &'static str,
    tracking: &'static str,
    address: String,
}

struct Appointment {
    date: NaiveDate,
    time: NaiveTime,
}

struct Shop {
    orders: BTreeMap<String, Order>,
    parcels: BTreeMap<&'static str, (&'static str, &'static str, String)>,
    appointments: BTreeMap<String, Appointment>,
    next_appointment: u32,
    today: NaiveDate,
}

type Shared = Arc<Mutex<Shop>>;
type Reply = (StatusCode, Json<Value>);

fn reply(status: StatusCode, body: Value) -> Reply {
    (status, Json(body))
}

/// The first `weekday` after `today` (a week ahead when today is that day).
fn next_weekday(today: NaiveDate, weekday: chrono::Weekday) -> NaiveDate {
    use chrono::Datelike;
    let ahead = (weekday.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    today.checked_add_days(Days::new(u64::from(ahead))).unwrap_or(today)
}

fn shop(today: NaiveDate) -> Shop {
    let day = |n: u64| today.checked_add_days(Days::new(n)).unwrap_or(today).format("%A %-d %B").to_string();
    let order = |status, eta: String, carrier, tracking| Order {
        status,
        eta,
        carrier,
        tracking,
        address: "as given at checkout".into(),
    };
    let orders = BTreeMap::from([
        ("A1043".to_owned(), order("out for delivery", day(1), "DHL", "1Z999AA10123456784")),
        ("A1077".to_owned(), order("being packed", day(4), "DHL", "")),
        ("A1102".to_owned(), order("shipped", day(2), "UPS", "1Z999AA10123456785")),
        ("A2001".to_owned(), order("delivered", "delivered".into(), "DHL", "1Z999AA10123456786")),
        ("A2002".to_owned(), order("waiting for payment", "once paid".into(), "", "")),
        ("A9500".to_owned(), order("delayed", day(6), "DHL", "")),
        ("A9503".to_owned(), order("delayed", day(6), "DHL", "")),
    ]);
    let parcels = BTreeMap::from([
        ("1Z999AA10123456784", ("out for delivery", "the local depot this morning", day(1))),
        ("1Z999AA10123456785", ("in transit", "the Leeds sorting centre", day(2))),
        ("1Z999AA10123456786", ("delivered", "the front door, signed by the customer", "delivered".to_owned())),
    ]);
    // Two booked slots, so a clash can be shown: next Tuesday at 15:00 (AP-1001) and next
    // Wednesday at 12:00 (AP-1002) — "next" as the bot reads it, a week ahead on that day.
    let mut appointments = BTreeMap::new();
    for (id, weekday, hour) in [("AP-1001", chrono::Weekday::Tue, 15), ("AP-1002", chrono::Weekday::Wed, 12)] {
        if let Some(time) = NaiveTime::from_hms_opt(hour, 0, 0) {
            appointments.insert(id.to_owned(), Appointment { date: next_weekday(today, weekday), time });
        }
    }
    Shop { orders, parcels, appointments, next_appointment: 2001, today }
}

fn authorized(headers: &HeaderMap) -> Result<(), Reply> {
    let expected = format!("Bearer {SHOP_TOKEN}");
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v == expected => Ok(()),
        _ => Err(reply(StatusCode::UNAUTHORIZED, json!({ "error": "send the shop token" }))),
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Shop> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn order(State(shared): State<Shared>, headers: HeaderMap, Path(number): Path<String>) -> Reply {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let number = number.to_uppercase();
    match number.as_str() {
        "A9500" => tokio::time::sleep(Duration::from_secs(8)).await,
        "A9503" => return reply(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": "order service unavailable" })),
        _ => {}
    }
    let shop = lock(&shared);
    match shop.orders.get(&number) {
        Some(o) => reply(
            StatusCode::OK,
            json!({ "number": number, "status": o.status, "eta": o.eta, "carrier": o.carrier,
                    "tracking_number": o.tracking, "address": o.address }),
        ),
        None => reply(StatusCode::NOT_FOUND, json!({ "error": format!("no order {number}") })),
    }
}

async fn parcel(State(shared): State<Shared>, headers: HeaderMap, Path(number): Path<String>) -> Reply {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let shop = lock(&shared);
    match shop.parcels.get(number.to_uppercase().as_str()) {
        Some((status, seen, eta)) => {
            reply(StatusCode::OK, json!({ "number": number, "status": status, "last_seen": seen, "eta": eta }))
        }
        None => reply(StatusCode::NOT_FOUND, json!({ "error": format!("no parcel {number}") })),
    }
}

#[derive(Deserialize)]
struct Slot {
    date: String,
    time: String,
}

/// Fittings are 30 minutes, 09:00 to 18:00, Monday to Saturday.
fn check_slot(shop: &Shop, slot: &Slot, except: Option<&str>) -> Result<(NaiveDate, NaiveTime), Reply> {
    let invalid = |m: &str| {
        reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": m, "opening": "09:00–18:00, Monday to Saturday" }))
    };
    let date = NaiveDate::parse_from_str(&slot.date, "%Y-%m-%d").map_err(|_| invalid("date must be YYYY-MM-DD"))?;
    let time = NaiveTime::parse_from_str(&slot.time, "%H:%M").map_err(|_| invalid("time must be HH:MM"))?;
    if date < shop.today {
        return Err(invalid("that date has passed"));
    }
    let open = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(time);
    let close = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(time);
    if time < open || time >= close || chrono::Datelike::weekday(&date) == chrono::Weekday::Sun {
        return Err(invalid("the store is closed then"));
    }
    let taken = shop.appointments.iter().any(|(id, a)| Some(id.as_str()) != except && a.date == date && a.time == time);
    if taken {
        let free: Vec<String> = ["10:00", "11:30", "14:30", "16:00"]
            .iter()
            .filter(|t| {
                !shop.appointments.values().any(|a| a.date == date && a.time.format("%H:%M").to_string() == **t)
            })
            .map(|t| (*t).to_owned())
            .collect();
        return Err(reply(
            StatusCode::CONFLICT,
            json!({ "error": "that time is taken", "alternatives": free.join(", ") }),
        ));
    }
    Ok((date, time))
}

async fn book(State(shared): State<Shared>, headers: HeaderMap, Json(slot): Json<Slot>) -> Reply {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let mut shop = lock(&shared);
    let (date, time) = match check_slot(&shop, &slot, None) {
        Ok(ok) => ok,
        Err(refused) => return refused,
    };
    let id = format!("AP-{}", shop.next_appointment);
    shop.next_appointment += 1;
    shop.appointments.insert(id.clone(), Appointment { date, time });
    reply(StatusCode::CREATED, json!({ "id": id, "date": slot.date, "time": slot.time, "store": "Regent Street" }))
}

async fn reschedule(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(slot): Json<Slot>,
) -> Reply {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let mut shop = lock(&shared);
    let id = id.to_uppercase();
    if !shop.appointments.contains_key(&id) {
        return reply(StatusCode::NOT_FOUND, json!({ "error": format!("no appointment {id}") }));
    }
    let (date, time) = match check_slot(&shop, &slot, Some(&id)) {
        Ok(ok) => ok,
        Err(refused) => return refused,
    };
    shop.appointments.insert(id.clone(), Appointment { date, time });
    reply(StatusCode::OK, json!({ "id": id, "date": slot.date, "time": slot.time }))
}

#[derive(Deserialize)]
struct NewAddress {
    address: String,
}

async fn address(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Json(body): Json<NewAddress>,
) -> Reply {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let mut shop = lock(&shared);
    let number = number.to_uppercase();
    match shop.orders.get_mut(&number) {
        Some(o) if o.status == "delivered" => {
            reply(StatusCode::CONFLICT, json!({ "error": "the order was delivered already" }))
        }
        Some(o) => {
            o.address = body.address.trim().to_owned();
            reply(StatusCode::OK, json!({ "number": number, "address": o.address }))
        }
        None => reply(StatusCode::NOT_FOUND, json!({ "error": format!("no order {number}") })),
    }
}

/// The shop's routes over fresh data (today's date anchors the delivery estimates).
pub fn router(today: NaiveDate) -> Router {
    let shared: Shared = Arc::new(Mutex::new(shop(today)));
    Router::new()
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .route("/orders/{number}", get(order))
        .route("/orders/{number}/address", put(address))
        .route("/tracking/{number}", get(parcel))
        .route("/appointments", post(book))
        .route("/appointments/{id}", put(reschedule))
        .with_state(shared)
}

/// Starts the shop on `bind` (e.g. `127.0.0.1:0`) in the background.
pub async fn start(bind: &str) -> anyhow::Result<DemoShop> {
    let listener =
        tokio::net::TcpListener::bind(bind).await.with_context(|| format!("starting the demo shop on {bind}"))?;
    let addr = listener.local_addr()?;
    let app = router(chrono::Utc::now().date_naive());
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the demo shop stopped");
        }
    });
    Ok(DemoShop { url: format!("http://{addr}") })
}
