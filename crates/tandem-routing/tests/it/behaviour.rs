//! The routing rules a contact-center team relies on, one story each.

use tandem_domain::{AgentState, Channel};
use tandem_routing::{
    AgentSpec, ContactSpec, ContactStatus, Decision, OverflowStep, QueueSpec, RouteError, Router, RouterConfig, Rule,
    SkillReq,
};

type R = Router<&'static str, &'static str, u32>;
type Out = Vec<Decision<u32, &'static str>>;

fn router() -> R {
    let mut r =
        R::new(RouterConfig { offer_timeout_ms: Some(20_000), sticky_window_ms: 30_000, ..RouterConfig::default() })
            .unwrap();
    let mut out = Out::new();
    r.upsert_queue(
        QueueSpec {
            key: "billing",
            required_skills: vec![SkillReq::new("billing", 3)],
            language: None,
            priority: 0,
            overflow: vec![OverflowStep { after_ms: 60_000, relax_levels: 1, any_language: false }],
        },
        0,
        &mut out,
    )
    .unwrap();
    r
}

fn agent(r: &mut R, key: &'static str, level: u8, langs: &[&str], out: &mut Out) {
    agent_at(r, key, level, langs, 0, out);
}

fn agent_at(r: &mut R, key: &'static str, level: u8, langs: &[&str], now: i64, out: &mut Out) {
    r.upsert_agent(
        AgentSpec {
            key,
            skills: vec![SkillReq::new("billing", level)],
            languages: langs.iter().map(|l| l.to_string()).collect(),
            capacity: vec![(Channel::WebChat, 2), (Channel::Voice, 1)],
            state: AgentState::Available,
        },
        now,
        out,
    )
    .unwrap();
}

fn contact(key: u32, class: i32, at: i64) -> ContactSpec<u32, &'static str, &'static str> {
    ContactSpec {
        key,
        queue: "billing",
        channel: Channel::Voice,
        language: Some("en".into()),
        skills: vec![],
        class_priority: class,
        arrived_at: at,
        previous_agent: None,
    }
}

fn offers(out: &Out) -> Vec<(u32, &'static str, Rule)> {
    out.iter()
        .filter_map(|d| match d {
            Decision::Offered { contact, agent, rule, .. } => Some((*contact, *agent, *rule)),
            _ => None,
        })
        .collect()
}

fn offer_id(out: &Out, c: u32) -> u64 {
    out.iter()
        .find_map(|d| match d {
            Decision::Offered { offer, contact, .. } if *contact == c => Some(*offer),
            _ => None,
        })
        .unwrap()
}

#[test]
fn best_skill_fit_then_fairness_and_never_a_missing_skill() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "novice", 1, &["en"], &mut out);
    agent(&mut r, "good", 3, &["en"], &mut out);
    agent(&mut r, "expert", 5, &["en"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    assert_eq!(offers(&out), vec![(1, "expert", Rule::Best)]);
    out.clear();
    r.enqueue(contact(2, 0, 10), 10, &mut out).unwrap();
    assert_eq!(offers(&out), vec![(2, "good", Rule::Best)], "the expert's one voice slot is taken");
    out.clear();
    r.enqueue(contact(3, 0, 20), 20, &mut out).unwrap();
    assert!(offers(&out).is_empty(), "the novice lacks level 3 and the overflow step is not reached");
    assert_eq!(r.contact_status(3), Some(ContactStatus::Waiting));
}

#[test]
fn higher_class_first_fifo_within_a_class_and_aging_prevents_starvation() {
    let mut r = router();
    let mut out = Out::new();
    for (key, class, at) in [(1, 0, 0), (2, 0, 1_000), (3, 20, 2_000)] {
        r.enqueue(contact(key, class, at), at, &mut out).unwrap();
    }
    // Aging: 10 s per point. Contact 4 arrived 300 s before contact 3 with class 0: 30
    // points of aging beat contact 3's 20 points of class.
    r.enqueue(contact(4, 0, -300_000), 3_000, &mut out).unwrap();
    assert_eq!(r.waiting("billing"), vec![4, 3, 1, 2]);
    agent_at(&mut r, "a", 4, &["en"], 3_000, &mut out);
    assert_eq!(offers(&out)[0].0, 4);
}

#[test]
fn overflow_relaxes_proficiency_after_the_wait_and_says_so() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "novice", 2, &["en"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    assert!(offers(&out).is_empty());
    assert_eq!(r.next_deadline(), Some(60_000));
    r.tick(59_999, &mut out);
    assert!(offers(&out).is_empty());
    r.tick(60_000, &mut out);
    assert_eq!(offers(&out), vec![(1, "novice", Rule::Overflow { step: 1 })]);
}

#[test]
fn language_is_required() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "hans", 5, &["de"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    r.tick(120_000, &mut out);
    assert!(offers(&out).is_empty(), "relaxing levels does not waive the language");
    agent(&mut r, "ana", 3, &["en", "es"], &mut out);
    assert_eq!(offers(&out), vec![(1, "ana", Rule::Best)]);
}

#[test]
fn sticky_holds_for_the_previous_agent_then_lets_go() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "prev", 3, &["en"], &mut out);
    agent(&mut r, "other", 5, &["en"], &mut out);
    r.set_agent_state("prev", AgentState::Away, 0, &mut out).unwrap();
    let mut c = contact(1, 0, 0);
    c.previous_agent = Some("prev");
    r.enqueue(c, 0, &mut out).unwrap();
    assert!(offers(&out).is_empty(), "held for the previous agent");
    r.set_agent_state("prev", AgentState::Available, 5_000, &mut out).unwrap();
    assert_eq!(offers(&out), vec![(1, "prev", Rule::Sticky)]);
    r.accept(offer_id(&out, 1), "prev").unwrap();
    r.release("prev", Channel::Voice, 5_500, &mut out).unwrap();

    // Another returning customer whose agent stays away goes to someone else after 30 s.
    out.clear();
    r.set_agent_state("prev", AgentState::Away, 6_000, &mut out).unwrap();
    let mut c = contact(2, 0, 6_000);
    c.previous_agent = Some("prev");
    r.enqueue(c, 6_000, &mut out).unwrap();
    r.tick(35_999, &mut out);
    assert!(offers(&out).is_empty());
    r.tick(36_000, &mut out);
    assert_eq!(offers(&out), vec![(2, "other", Rule::Best)]);
}

#[test]
fn decline_and_timeout_move_on_and_never_come_back() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "a", 5, &["en"], &mut out);
    agent(&mut r, "b", 4, &["en"], &mut out);
    agent(&mut r, "c", 3, &["en"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    let first = offer_id(&out, 1);
    out.clear();
    r.decline(first, "a", 1_000, &mut out).unwrap();
    assert_eq!(offers(&out), vec![(1, "b", Rule::Best)], "next best, not the decliner");
    let second = offer_id(&out, 1);
    out.clear();
    r.tick(21_000, &mut out);
    assert!(out.contains(&Decision::OfferTimedOut { offer: second, contact: 1, agent: "b" }));
    assert!(out.contains(&Decision::AgentStateChanged { agent: "b", state: AgentState::Away }));
    assert_eq!(offers(&out), vec![(1, "c", Rule::Best)]);
    assert_eq!(r.agent_load("b", Channel::Voice), Some(0));
    assert_eq!(r.decline(first, "a", 22_000, &mut out), Err(RouteError::OfferGone));
}

#[test]
fn only_the_first_accept_wins() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "a", 5, &["en"], &mut out);
    agent(&mut r, "b", 5, &["en"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    let (_, holder, _) = offers(&out)[0];
    let other = if holder == "a" { "b" } else { "a" };
    let offer = offer_id(&out, 1);
    assert_eq!(r.accept(offer, other), Err(RouteError::NotYourOffer));
    assert_eq!(r.accept(offer, holder), Ok(1));
    assert_eq!(r.accept(offer, holder), Err(RouteError::OfferGone));
    assert_eq!(r.agent_load(holder, Channel::Voice), Some(1), "the accepted contact holds the slot");
    assert!(r.is_empty());
}

#[test]
fn transfers_keep_priority_and_direct_transfers_wait_for_the_agent() {
    let mut r = router();
    let mut out = Out::new();
    agent(&mut r, "a", 5, &["en"], &mut out);
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    r.accept(offer_id(&out, 1), "a").unwrap();
    out.clear();
    // A newer contact waits; then "a" transfers contact 1 back to the queue with its
    // original arrival: it stays ahead of the newer one.
    r.enqueue(contact(2, 0, 10_000), 10_000, &mut out).unwrap();
    r.enqueue(contact(1, 0, 0), 20_000, &mut out).unwrap();
    assert_eq!(r.waiting("billing"), vec![1, 2]);
    r.remove(1, 20_000, &mut out).unwrap();
    // Direct transfer to an agent without room: held until they free the slot.
    r.enqueue_for_agent(contact(1, 0, 0), "a", 20_000, &mut out).unwrap();
    assert_eq!(r.contact_status(1), Some(ContactStatus::Reserved { agent: "a", until: None }));
    r.release("a", Channel::Voice, 30_000, &mut out).unwrap();
    assert_eq!(offers(&out), vec![(1, "a", Rule::DirectTransfer)], "held work goes before the queue");
}

#[test]
fn refused_calls_change_nothing() {
    let mut r = router();
    let mut out = Out::new();
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    assert_eq!(r.enqueue(contact(1, 0, 0), 0, &mut out), Err(RouteError::AlreadyRouted));
    let mut c = contact(2, 0, 0);
    c.queue = "nope";
    assert_eq!(r.enqueue(c, 0, &mut out), Err(RouteError::UnknownQueue));
    assert_eq!(r.release("ghost", Channel::Voice, 0, &mut out), Err(RouteError::UnknownAgent));
    let bad = AgentSpec {
        key: "x",
        skills: vec![SkillReq::new("billing", 9)],
        languages: vec![],
        capacity: vec![],
        state: AgentState::Available,
    };
    assert!(matches!(r.upsert_agent(bad, 0, &mut out), Err(RouteError::Invalid(_))));
    assert_eq!(r.len(), 1);
    assert!(out.is_empty());
}

#[test]
fn the_outlook_counts_who_could_take_a_queue_now() {
    let mut r = router();
    let mut out = Out::new();
    assert_eq!(r.outlook("billing", Channel::Voice, Some("en")).map(|o| o.working), Some(0));
    agent(&mut r, "ann", 3, &["en"], &mut out);
    agent(&mut r, "bob", 2, &["en"], &mut out);
    agent(&mut r, "cat", 1, &["en"], &mut out);
    agent(&mut r, "dan", 5, &["de"], &mut out);
    // Bob qualifies once the overflow step relaxes a level; Cat never does; Dan speaks German.
    let o = r.outlook("billing", Channel::Voice, Some("en")).unwrap();
    assert_eq!((o.working, o.free, o.waiting), (2, 2, 0));
    r.set_agent_state("bob", AgentState::Away, 0, &mut out).unwrap();
    r.enqueue(contact(1, 0, 0), 0, &mut out).unwrap();
    r.enqueue(contact(2, 0, 0), 0, &mut out).unwrap();
    let o = r.outlook("billing", Channel::Voice, Some("en")).unwrap();
    assert_eq!((o.working, o.free), (1, 0), "Ann is busy with the first contact");
    assert_eq!(o.waiting, 1, "the second waits");
    assert_eq!(r.outlook("billing", Channel::Voice, Some("ja")).map(|o| o.working), Some(0), "nobody speaks Japanese");
    assert!(r.outlook("nope", Channel::Voice, None).is_none());
}
