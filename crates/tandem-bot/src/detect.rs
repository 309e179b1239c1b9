//! What a customer's message says beyond its intent, in the languages Tandem speaks:
//! a request for a person (however phrased, typos included), a sensitive topic that a
//! person should handle, yes / no / "that's all", a greeting, thanks, or a question
//! whether the bot is a bot. Word lists with typo-tolerant matching on the normal form
//! from [`crate::text`]; high precision first — a miss falls through to the intent and
//! the failed-turn rule, so nobody is trapped by a gap in a list.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::text::{self, Matching, find_phrase, phrase};

/// A list of phrases, each compiled to normalised words. Fuzzy lists accept typos
/// (one edit in words of five letters or more); the others need the words as listed,
/// since one letter turns "cancel" into "cancer".
pub struct Lexicon {
    phrases: Vec<Vec<String>>,
    matching: Matching,
}

impl Lexicon {
    pub fn new(phrases: &[&str], fuzzy: bool) -> Self {
        let matching = if fuzzy { Matching::Typos } else { Matching::Exact };
        Self { phrases: phrases.iter().map(|p| phrase(p)).filter(|p| !p.is_empty()).collect(), matching }
    }

    /// The first phrase found in `words`, as written in the list.
    pub fn find(&self, words: &[&str]) -> Option<String> {
        self.phrases.iter().find(|p| find_phrase(words, p, self.matching).is_some()).map(|p| p.join(" "))
    }

    /// Positions where any phrase starts.
    fn positions(&self, words: &[&str]) -> Vec<usize> {
        self.phrases.iter().filter_map(|p| find_phrase(words, p, self.matching)).collect()
    }

    pub fn matches(&self, words: &[&str]) -> bool {
        self.find(words).is_some()
    }
}

/// A topic a person should handle, with the reason code it escalates under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Fraud,
    LegalThreat,
    Bereavement,
    Vulnerability,
    Cancellation,
    BillingDispute,
    Complaint,
}

impl Topic {
    pub const ALL: [Topic; 7] = [
        Self::Fraud,
        Self::LegalThreat,
        Self::Bereavement,
        Self::Vulnerability,
        Self::Cancellation,
        Self::BillingDispute,
        Self::Complaint,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fraud => "fraud",
            Self::LegalThreat => "legal_threat",
            Self::Bereavement => "bereavement",
            Self::Vulnerability => "vulnerability",
            Self::Cancellation => "cancellation",
            Self::BillingDispute => "billing_dispute",
            Self::Complaint => "complaint",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// In a sentence for people (summaries, audit).
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Fraud => "fraud or account security",
            Self::LegalThreat => "a legal threat",
            Self::Bereavement => "a bereavement",
            Self::Vulnerability => "a vulnerable customer (health, hardship)",
            Self::Cancellation => "cancellation or retention",
            Self::BillingDispute => "a billing dispute or negotiation",
            Self::Complaint => "a complaint",
        }
    }

    fn lexicon(self) -> &'static Lexicon {
        match self {
            Self::Fraud => &FRAUD,
            Self::LegalThreat => &LEGAL,
            Self::Bereavement => &BEREAVEMENT,
            Self::Vulnerability => &VULNERABILITY,
            Self::Cancellation => &CANCELLATION,
            Self::BillingDispute => &BILLING,
            Self::Complaint => &COMPLAINT,
        }
    }
}

/// A short reply to a question the bot asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Yes,
    No,
    /// "No thanks, that's all", "bye".
    Done,
}

/// Everything the lexicons found in one message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    /// The cue of a request for a person ("talk to a human", "agente").
    pub human_request: Option<String>,
    pub topic: Option<Topic>,
    /// The phrase that named the topic.
    pub topic_cue: Option<String>,
    pub reply: Option<Reply>,
    pub greeting: bool,
    pub thanks: bool,
    /// "Are you a bot?"
    pub asks_if_bot: bool,
    /// Number of words (email addresses and links left out).
    pub words: usize,
    /// Of those, words with a letter (not order numbers or dates alone).
    pub alpha_words: usize,
}

/// Reads a message. Email addresses and links are left out first: "someone@else.com"
/// is not somebody to talk to.
pub fn detect(message: &str) -> Detected {
    let plain: Vec<&str> = message
        .split_whitespace()
        .filter(|w| !(w.contains('@') || w.contains("://") || w.to_lowercase().starts_with("www.")))
        .collect();
    let normalized = text::normalize(&plain.join(" "));
    let words = text::words(&normalized);
    let (topic, topic_cue) = match Topic::ALL.into_iter().find_map(|t| t.lexicon().find(&words).map(|cue| (t, cue))) {
        Some((t, cue)) => (Some(t), Some(cue)),
        None => (None, None),
    };
    Detected {
        human_request: human_request(&words),
        topic,
        topic_cue,
        reply: reply(&words),
        greeting: words.len() <= 4 && GREETING.matches(&words),
        thanks: THANKS.matches(&words),
        asks_if_bot: ASKS_IF_BOT.matches(&words),
        words: words.len(),
        alpha_words: words.iter().filter(|w| w.chars().any(char::is_alphabetic)).count(),
    }
}

/// A request for a person: an unmistakable phrase, or a word for a person with a
/// request cue (or on its own in a short message), not negated ("I don't need an
/// agent") and not "in person".
fn human_request(words: &[&str]) -> Option<String> {
    if let Some(cue) = DIRECT.find(words) {
        return Some(cue);
    }
    if NOT_A_REQUEST.matches(words) {
        return None;
    }
    let nouns = PERSON.positions(words);
    let first = nouns.iter().min().copied()?;
    let cue_positions = CUES.positions(words);
    let short = words.len() <= 4;
    if cue_positions.is_empty() && !short {
        return None;
    }
    let negated = NEGATION.positions(words).into_iter().any(|n| n < first && first - n <= 5);
    if negated {
        return None;
    }
    PERSON.find(words)
}

/// Yes, no or done, when the message is short enough to be an answer.
fn reply(words: &[&str]) -> Option<Reply> {
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    if DONE.matches(words) {
        return Some(Reply::Done);
    }
    if NO.matches(words) {
        return Some(Reply::No);
    }
    if YES.matches(words) {
        return Some(Reply::Yes);
    }
    None
}

macro_rules! lexicon {
    ($name:ident, [$($phrase:expr),* $(,)?]) => {
        static $name: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(&[$($phrase),*], false));
    };
    ($name:ident, fuzzy, [$($phrase:expr),* $(,)?]) => {
        static $name: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(&[$($phrase),*], true));
    };
}

// Phrases that on their own ask for a person.
lexicon!(
    DIRECT,
    fuzzy,
    [
        // English
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "talk to someone",
        "speak to someone",
        "speak with someone",
        "talk with someone",
        "real person",
        "real human",
        "live agent",
        "live person",
        "human agent",
        "human being",
        "not a bot",
        "not a robot",
        "no bot",
        "no bots",
        "no robot",
        "stop the bot",
        "dont want a bot",
        "dont want to talk to a bot",
        "dont want to talk to a robot",
        "transfer me",
        "put me through",
        "connect me to",
        "escalate this",
        "escalate to",
        "customer service agent",
        "a human please",
        "human please",
        "operator please",
        "agent please",
        "representative please",
        // Spanish
        "hablar con una persona",
        "hablar con alguien",
        "hablar con un humano",
        "hablar con un agente",
        "hablar con un asesor",
        "persona real",
        "ser humano",
        "no quiero un bot",
        "no quiero hablar con un robot",
        "no quiero hablar con una maquina",
        "pasame con",
        "paseme con",
        "comunicarme con",
        "atencion humana",
        "un humano por favor",
        "un agente por favor",
        // French
        "parler à quelqu'un",
        "parler a une personne",
        "parler a un humain",
        "parler a un conseiller",
        "parler avec un conseiller",
        "vraie personne",
        "vrai personne",
        "etre humain",
        "pas un robot",
        "pas de robot",
        "mettez moi en relation",
        "passez moi",
        "un conseiller svp",
        "un humain svp",
        // German
        "mit einem menschen",
        "mit einem mitarbeiter",
        "mit jemandem sprechen",
        "echten menschen",
        "echte person",
        "keinen bot",
        "kein bot",
        "nicht mit einem bot",
        "nicht mit einem roboter",
        "verbinden sie mich",
        "mitarbeiter bitte",
        "mensch bitte",
        // Portuguese
        "falar com uma pessoa",
        "falar com alguem",
        "falar com um humano",
        "falar com um atendente",
        "falar com um agente",
        "pessoa real",
        "atendimento humano",
        "nao quero um robo",
        "nao quero falar com um robo",
        "me transfere",
        "atendente por favor",
        // Italian and Dutch
        "parlare con una persona",
        "parlare con un operatore",
        "persona vera",
        "non un robot",
        "met een medewerker",
        "met een mens",
        "echte persoon",
        "geen robot",
    ]
);

// Words for a person who can help.
lexicon!(
    PERSON,
    fuzzy,
    [
        "human",
        "humans",
        "person",
        "someone",
        "somebody",
        "anyone",
        "anybody",
        "agent",
        "representative",
        "rep",
        "operator",
        "staff member",
        "employee",
        "manager",
        "supervisor",
        "advisor",
        "adviser",
        "consultant",
        "customer service",
        "customer support",
        "customer care",
        "support team",
        "support agent",
        "tech support",
        "live chat",
        "your team",
        "humano",
        "persona",
        "agente",
        "representante",
        "operador",
        "operadora",
        "alguien",
        "asesor",
        "asesora",
        "servicio al cliente",
        "atencion al cliente",
        "encargado",
        "supervisor",
        "humain",
        "personne",
        "conseiller",
        "conseillere",
        "operateur",
        "operatrice",
        "quelqu'un",
        "service client",
        "mensch",
        "menschen",
        "mitarbeiter",
        "mitarbeiterin",
        "berater",
        "beraterin",
        "kundendienst",
        "kundenservice",
        "jemand",
        "jemanden",
        "jemandem",
        "pessoa",
        "atendente",
        "alguem",
        "servico ao cliente",
        "atendimento ao cliente",
        "umano",
        "operatore",
        "qualcuno",
        "servizio clienti",
        "mens",
        "medewerker",
        "persoon",
        "iemand",
        "klantenservice",
    ]
);

// Words that make a person word a request.
lexicon!(
    CUES,
    fuzzy,
    [
        "talk",
        "speak",
        "chat with",
        "connect",
        "transfer",
        "get me",
        "give me",
        "want",
        "need",
        "let me",
        "can i",
        "could i",
        "may i",
        "please",
        "pls",
        "plz",
        "call me",
        "phone me",
        "callback",
        "call back",
        "reach",
        "contact",
        "escalate",
        "is there",
        "are there",
        "i'd like",
        "i would like",
        "hablar",
        "habla",
        "quiero",
        "necesito",
        "puedo",
        "contactar",
        "llamar",
        "llamame",
        "por favor",
        "transferir",
        "pasar",
        "pasen",
        "comunicar",
        "parler",
        "discuter",
        "veux",
        "voudrais",
        "besoin",
        "passer",
        "contacter",
        "appeler",
        "svp",
        "s'il vous plait",
        "sprechen",
        "reden",
        "verbinden",
        "will",
        "mochte",
        "brauche",
        "bitte",
        "weiterleiten",
        "kontaktieren",
        "anrufen",
        "falar",
        "conversar",
        "quero",
        "preciso",
        "gostaria",
        "ligar",
        "passar",
        "parlare",
        "voglio",
        "vorrei",
        "bisogno",
        "praten",
        "spreken",
        "wil",
        "graag",
        "doorverbinden",
    ]
);

// Negations before a person word: "I don't need an agent".
lexicon!(
    NEGATION,
    [
        "dont",
        "do not",
        "no need",
        "without",
        "never",
        "not",
        "no quiero",
        "sin",
        "ne veux pas",
        "pas besoin",
        "kein",
        "keinen",
        "nicht",
        "ohne",
        "nao quero",
        "sem",
        "non voglio",
    ]
);

// Person words that are not about talking to one.
lexicon!(
    NOT_A_REQUEST,
    [
        "in person",
        "en persona",
        "en personne",
        "persönlich",
        "personlich",
        "pessoalmente",
        "di persona",
        "personally",
        "the person who",
        "personne ne",
    ]
);

lexicon!(
    FRAUD,
    [
        "fraud",
        "fraudulent",
        "scam",
        "scammed",
        "hacked",
        "hacker",
        "stolen card",
        "card was stolen",
        "card stolen",
        "identity theft",
        "unauthorized",
        "unauthorised",
        "didnt authorize",
        "did not authorize",
        "didnt authorise",
        "i did not make",
        "i didnt make",
        "someone used my",
        "someone logged into",
        "phishing",
        "compromised",
        "suspicious charge",
        "suspicious transaction",
        "suspicious login",
        "suspicious activity",
        "fraude",
        "estafa",
        "me estafaron",
        "hackearon",
        "hackeado",
        "robaron mi tarjeta",
        "no autorice",
        "robo de identidad",
        "arnaque",
        "pirate",
        "non autorise",
        "usurpation",
        "betrug",
        "betrüger",
        "gehackt",
        "nicht autorisiert",
        "gestohlen",
        "identitatsdiebstahl",
        "golpe",
        "hackeada",
        "hackearam",
        "nao autorizei",
        "roubaram",
        "clonaram",
        "truffa",
    ]
);

lexicon!(
    LEGAL,
    [
        "lawyer",
        "attorney",
        "sue you",
        "sue your",
        "going to sue",
        "lawsuit",
        "legal action",
        "take you to court",
        "small claims",
        "ombudsman",
        "consumer protection",
        "trading standards",
        "solicitor",
        "my rights",
        "abogado",
        "demanda",
        "demandar",
        "denunciar",
        "denuncia",
        "tribunal",
        "acciones legales",
        "consumo",
        "avocat",
        "poursuivre",
        "action en justice",
        "en justice",
        "anwalt",
        "verklagen",
        "klage",
        "gericht",
        "rechtliche schritte",
        "verbraucherzentrale",
        "advogado",
        "processar",
        "procon",
        "justica",
        "avvocato",
    ]
);

lexicon!(
    BEREAVEMENT,
    [
        "passed away",
        "died",
        "has died",
        "death of",
        "deceased",
        "funeral",
        "bereavement",
        "my late",
        "widow",
        "widowed",
        "fallecio",
        "murio",
        "fallecimiento",
        "difunto",
        "difunta",
        "funeral",
        "decede",
        "deces",
        "est mort",
        "est morte",
        "funerailles",
        "verstorben",
        "gestorben",
        "todesfall",
        "beerdigung",
        "faleceu",
        "falecimento",
        "morreu",
        "enterro",
        "e morto",
        "deceduto",
    ]
);

lexicon!(
    VULNERABILITY,
    [
        "cant afford",
        "cannot afford",
        "lost my job",
        "unemployed",
        "financial hardship",
        "struggling to pay",
        "cant pay",
        "cannot pay",
        "in debt",
        "disability",
        "disabled",
        "mental health",
        "depressed",
        "suicidal",
        "in hospital",
        "in the hospital",
        "cancer",
        "domestic abuse",
        "homeless",
        "vulnerable",
        "no puedo pagar",
        "perdi mi trabajo",
        "desempleado",
        "desempleada",
        "dificultades economicas",
        "discapacidad",
        "en el hospital",
        "je ne peux pas payer",
        "perdu mon emploi",
        "chomage",
        "handicap",
        "à l'hôpital",
        "kann nicht bezahlen",
        "kann nicht zahlen",
        "arbeitslos",
        "job verloren",
        "behinderung",
        "im krankenhaus",
        "nao consigo pagar",
        "perdi meu emprego",
        "desempregado",
        "desempregada",
        "deficiencia",
        "no hospital",
    ]
);

lexicon!(
    CANCELLATION,
    [
        "cancel my subscription",
        "cancel my account",
        "cancel my membership",
        "cancel my contract",
        "cancel my plan",
        "close my account",
        "delete my account",
        "terminate my",
        "switching to",
        "switch to another",
        "leave for another",
        "end my subscription",
        "stop my subscription",
        "unsubscribe me from everything",
        "cancelar mi suscripcion",
        "cancelar mi cuenta",
        "cancelar mi contrato",
        "dar de baja",
        "darme de baja",
        "borrar mi cuenta",
        "eliminar mi cuenta",
        "resilier",
        "annuler mon abonnement",
        "fermer mon compte",
        "supprimer mon compte",
        "kundigen",
        "kundigung",
        "konto loschen",
        "abo beenden",
        "cancelar minha assinatura",
        "cancelar minha conta",
        "encerrar minha conta",
        "excluir minha conta",
        "disdire",
    ]
);

lexicon!(
    BILLING,
    [
        "charged twice",
        "double charged",
        "double charge",
        "charged me twice",
        "overcharged",
        "wrong amount",
        "charged the wrong",
        "dispute",
        "chargeback",
        "discount",
        "negotiate",
        "lower my bill",
        "price match",
        "compensation",
        "refund the difference",
        "cobraron dos veces",
        "cobro doble",
        "doble cargo",
        "cobrado dos veces",
        "me cobraron de mas",
        "disputa",
        "descuento",
        "compensacion",
        "debite deux fois",
        "facture deux fois",
        "preleve deux fois",
        "surfacture",
        "litige",
        "remise",
        "dedommagement",
        "doppelt abgebucht",
        "zweimal abgebucht",
        "zweimal belastet",
        "doppelt berechnet",
        "zu viel berechnet",
        "rabatt",
        "entschadigung",
        "cobrado duas vezes",
        "cobraram duas vezes",
        "cobranca em dobro",
        "cobranca indevida",
        "desconto",
        "addebitato due volte",
    ]
);

lexicon!(
    COMPLAINT,
    [
        "complaint",
        "complain",
        "unacceptable",
        "terrible service",
        "worst service",
        "disgusted",
        "appalling",
        "queja",
        "quejarme",
        "reclamacion",
        "reclamo",
        "inaceptable",
        "plainte",
        "reclamation",
        "inadmissible",
        "inacceptable",
        "beschwerde",
        "beschweren",
        "unverschamt",
        "inakzeptabel",
        "reclamacao",
        "queixa",
        "inaceitavel",
        "reclamo formal",
        "reclamo",
        "reclamare",
    ]
);

lexicon!(
    YES,
    [
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "correct",
        "right",
        "exactly",
        "it did",
        "that helped",
        "that helps",
        "helpful",
        "perfect",
        "great",
        "go ahead",
        "please do",
        "do it",
        "confirm",
        "confirmed",
        "y",
        "absolutely",
        "of course",
        "si",
        "claro",
        "vale",
        "de acuerdo",
        "perfecto",
        "correcto",
        "adelante",
        "hazlo",
        "me sirvio",
        "oui",
        "ouais",
        "d'accord",
        "parfait",
        "exact",
        "exactement",
        "allez y",
        "ja",
        "jawohl",
        "genau",
        "richtig",
        "passt",
        "gerne",
        "stimmt",
        "klar",
        "sim",
        "certo",
        "perfeito",
        "pode",
        "isso",
        "ajudou",
        "va bene",
        "certo",
    ]
);

lexicon!(
    NO,
    [
        "no",
        "nope",
        "nah",
        "not really",
        "didnt help",
        "did not help",
        "doesnt help",
        "does not help",
        "not helpful",
        "wrong",
        "not right",
        "isnt right",
        "not what i",
        "that's not it",
        "not it",
        "n",
        "not quite",
        "para nada",
        "no me ayudo",
        "no sirve",
        "no me sirve",
        "no es eso",
        "non",
        "pas vraiment",
        "ça ne m'aide pas",
        "pas du tout",
        "nein",
        "nicht wirklich",
        "hilft nicht",
        "falsch",
        "nao",
        "nao ajudou",
        "errado",
        "niente",
    ]
);

lexicon!(
    DONE,
    [
        "no thanks",
        "no thank you",
        "nothing else",
        "that's all",
        "that is all",
        "that's it thanks",
        "all good",
        "bye",
        "goodbye",
        "good bye",
        "i'm done",
        "all set",
        "no gracias",
        "nada mas",
        "eso es todo",
        "adios",
        "hasta luego",
        "non merci",
        "c'est tout",
        "rien d autre",
        "au revoir",
        "nein danke",
        "das war's",
        "nichts weiter",
        "tschuss",
        "auf wiedersehen",
        "nao obrigado",
        "nao obrigada",
        "e so isso",
        "nada mais",
        "tchau",
        "no grazie",
    ]
);

lexicon!(
    GREETING,
    [
        "hi",
        "hello",
        "hey",
        "hiya",
        "good morning",
        "good afternoon",
        "good evening",
        "hola",
        "buenos dias",
        "buenas tardes",
        "buenas",
        "bonjour",
        "bonsoir",
        "salut",
        "hallo",
        "guten tag",
        "guten morgen",
        "servus",
        "moin",
        "ola",
        "oi",
        "bom dia",
        "boa tarde",
        "ciao",
        "buongiorno",
    ]
);

lexicon!(
    THANKS,
    [
        "thanks",
        "thank you",
        "thx",
        "ty",
        "cheers",
        "gracias",
        "merci",
        "danke",
        "obrigado",
        "obrigada",
        "grazie",
        "dank je",
        "bedankt",
    ]
);

lexicon!(
    ASKS_IF_BOT,
    [
        "are you a bot",
        "are you a robot",
        "are you human",
        "are you a real person",
        "is this a bot",
        "am i talking to a bot",
        "am i talking to a robot",
        "eres un bot",
        "eres un robot",
        "eres humano",
        "es un bot",
        "tu es un robot",
        "etes vous un robot",
        "bist du ein bot",
        "sind sie ein bot",
        "voce e um robo",
        "e um robo",
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    fn person(text: &str) -> bool {
        detect(text).human_request.is_some()
    }

    #[test]
    fn requests_for_a_person_in_many_phrasings() {
        for text in [
            "I want to talk to a human",
            "agent",
            "HUMAN PLEASE!!!",
            "can i speak to a representitive",
            "get me a real persn",
            "Let me talk to someone, this is useless",
            "I don't want to talk to a bot",
            "transfer me to customer service",
            "Quiero hablar con una persona",
            "necesito un agente por favor",
            "Je veux parler à un conseiller",
            "Ich möchte mit einem Menschen sprechen",
            "Quero falar com um atendente",
            "Vorrei parlare con un operatore",
            "is there a person I can talk to?",
            "operator",
        ] {
            assert!(person(text), "{text}");
        }
        for text in ["it's someone@else.com", "see www.someone.com"] {
            assert!(!person(text), "{text}");
        }
    }

    #[test]
    fn person_words_that_are_not_requests() {
        for text in [
            "Can I pick up my order in person at the store?",
            "I don't need an agent, just tell me where my parcel is",
            "The delivery person left it at the wrong door and nobody answered my email",
            "where is my order",
            "bot",
        ] {
            assert!(!person(text), "{text}");
        }
    }

    #[test]
    fn sensitive_topics() {
        let check = |text: &str, topic: Topic| assert_eq!(detect(text).topic, Some(topic), "{text}");
        check("There's a charge on my card I didn't authorize", Topic::Fraud);
        check("my account was hacked", Topic::Fraud);
        check("My husband passed away and the account is in his name", Topic::Bereavement);
        check("Mi madre falleció el mes pasado", Topic::Bereavement);
        check("I lost my job and can't afford the payments", Topic::Vulnerability);
        check("I will talk to my lawyer about this", Topic::LegalThreat);
        check("Je vais vous poursuivre en justice", Topic::LegalThreat);
        check("I want to cancel my subscription", Topic::Cancellation);
        check("Ich möchte kündigen", Topic::Cancellation);
        check("You charged me twice for the same order", Topic::BillingDispute);
        check("Me cobraron dos veces", Topic::BillingDispute);
        check("I want to make a complaint", Topic::Complaint);
        assert_eq!(detect("I want to cancel my order A1043").topic, None, "cancelling an order is routine");
        assert_eq!(detect("where is my package").topic, None);
    }

    #[test]
    fn short_replies() {
        let check = |text: &str, reply: Option<Reply>| assert_eq!(detect(text).reply, reply, "{text}");
        check("yes", Some(Reply::Yes));
        check("Yes, that helped, thanks!", Some(Reply::Yes));
        check("nope", Some(Reply::No));
        check("no, that didn't help", Some(Reply::No));
        check("no thanks, that's all", Some(Reply::Done));
        check("sí, gracias", Some(Reply::Yes));
        check("nein", Some(Reply::No));
        check("não, obrigado", Some(Reply::Done));
        check("I want to know when my refund arrives and why it takes so long", None);
    }

    #[test]
    fn greetings_thanks_and_bot_questions() {
        assert!(detect("Hi!").greeting);
        assert!(!detect("Hi, where is my order A1043? It was due Monday").greeting);
        assert!(detect("thanks a lot").thanks);
        assert!(detect("are you a bot?").asks_if_bot);
    }
}
