//! The bot's own wording in the languages it speaks (English, Spanish, French, German,
//! Portuguese), each phrase overridable per workspace (`[templates.<lang>]`). A
//! customer writing in another language is told, in the default language, that a
//! person will help — the bot does not guess in a language it has no words for.

use std::collections::BTreeMap;

use crate::template::fill;

/// The languages with built-in wording.
pub const LANGUAGES: [&str; 5] = ["en", "es", "fr", "de", "pt"];

/// Whether the bot has built-in wording for `code` (`pt-BR` counts as `pt`).
pub fn supported(code: &str) -> bool {
    LANGUAGES.contains(&base(code))
}

/// `pt-BR` → `pt`.
pub fn base(code: &str) -> &str {
    code.split(['-', '_']).next().unwrap_or(code)
}

macro_rules! phrases {
    ($($variant:ident = $key:literal [$($ph:literal),*] { en: $en:literal, es: $es:literal, fr: $fr:literal, de: $de:literal, pt: $pt:literal }),* $(,)?) => {
        /// Something the bot says.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Phrase { $($variant),* }

        impl Phrase {
            pub const ALL: &'static [Phrase] = &[$(Self::$variant),*];

            pub const fn key(self) -> &'static str {
                match self { $(Self::$variant => $key),* }
            }

            /// The placeholders the phrase may use.
            pub const fn placeholders(self) -> &'static [&'static str] {
                match self { $(Self::$variant => &[$($ph),*]),* }
            }

            fn builtin(self, lang: &str) -> Option<&'static str> {
                match self {
                    $(Self::$variant => match lang { "en" => Some($en), "es" => Some($es), "fr" => Some($fr), "de" => Some($de), "pt" => Some($pt), _ => None }),*
                }
            }
        }
    };
}

phrases! {
    Greeting = "greeting" ["bot"] {
        en: "Hi! I'm {bot}, the virtual assistant. How can I help? You can ask for a person at any time.",
        es: "¡Hola! Soy {bot}, el asistente virtual. ¿En qué puedo ayudarte? Puedes pedir hablar con una persona en cualquier momento.",
        fr: "Bonjour ! Je suis {bot}, l'assistant virtuel. Comment puis-je vous aider ? Vous pouvez demander à parler à une personne à tout moment.",
        de: "Hallo! Ich bin {bot}, der virtuelle Assistent. Wie kann ich helfen? Sie können jederzeit nach einem Menschen fragen.",
        pt: "Olá! Sou {bot}, o assistente virtual. Como posso ajudar? Você pode pedir para falar com uma pessoa a qualquer momento."
    },
    IAmABot = "i_am_a_bot" ["bot"] {
        en: "I'm {bot}, a virtual assistant. I can answer many questions right away, and I'll get you a person whenever you ask.",
        es: "Soy {bot}, un asistente virtual. Puedo responder muchas preguntas al momento y te paso con una persona cuando quieras.",
        fr: "Je suis {bot}, un assistant virtuel. Je réponds tout de suite à beaucoup de questions et je vous passe une personne dès que vous le demandez.",
        de: "Ich bin {bot}, ein virtueller Assistent. Viele Fragen beantworte ich sofort, und ich verbinde Sie mit einem Menschen, sobald Sie es möchten.",
        pt: "Sou {bot}, um assistente virtual. Posso responder muitas perguntas na hora e passo você para uma pessoa quando quiser."
    },
    Answer = "answer" ["text", "title"] {
        en: "{text}\n\nSource: “{title}”",
        es: "{text}\n\nFuente: «{title}»",
        fr: "{text}\n\nSource : « {title} »",
        de: "{text}\n\nQuelle: „{title}“",
        pt: "{text}\n\nFonte: “{title}”"
    },
    AnswerCheck = "answer_check" [] {
        en: "Did that answer your question?",
        es: "¿Eso responde a tu pregunta?",
        fr: "Est-ce que cela répond à votre question ?",
        de: "Beantwortet das Ihre Frage?",
        pt: "Isso responde à sua pergunta?"
    },
    AnswerHelped = "answer_helped" [] {
        en: "Great, glad that helped! Is there anything else I can do for you?",
        es: "¡Genial, me alegra que te haya servido! ¿Hay algo más en lo que pueda ayudarte?",
        fr: "Parfait, ravi que cela vous ait aidé ! Puis-je faire autre chose pour vous ?",
        de: "Prima, freut mich, dass es geholfen hat! Kann ich sonst noch etwas für Sie tun?",
        pt: "Ótimo, que bom que ajudou! Posso ajudar em mais alguma coisa?"
    },
    AnythingElse = "anything_else" [] {
        en: "Is there anything else I can help with?",
        es: "¿Hay algo más en lo que pueda ayudarte?",
        fr: "Puis-je vous aider pour autre chose ?",
        de: "Kann ich Ihnen sonst noch helfen?",
        pt: "Posso ajudar em mais alguma coisa?"
    },
    Welcome = "welcome" [] {
        en: "You're welcome! Is there anything else I can help with?",
        es: "¡De nada! ¿Hay algo más en lo que pueda ayudarte?",
        fr: "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        de: "Gern geschehen! Kann ich Ihnen sonst noch helfen?",
        pt: "De nada! Posso ajudar em mais alguma coisa?"
    },
    Goodbye = "goodbye" [] {
        en: "Thanks for reaching out. Have a great day!",
        es: "Gracias por escribirnos. ¡Que tengas un buen día!",
        fr: "Merci de nous avoir contactés. Bonne journée !",
        de: "Danke für Ihre Nachricht. Einen schönen Tag noch!",
        pt: "Obrigado pelo contato. Tenha um ótimo dia!"
    },
    Clarify = "clarify" [] {
        en: "Sorry, I didn't quite understand. Could you tell me in other words what you need? You can also ask for a person at any time.",
        es: "Perdona, no lo he entendido bien. ¿Puedes contarme con otras palabras lo que necesitas? También puedes pedir hablar con una persona.",
        fr: "Désolé, je n'ai pas bien compris. Pouvez-vous me dire autrement ce dont vous avez besoin ? Vous pouvez aussi demander une personne.",
        de: "Entschuldigung, das habe ich nicht ganz verstanden. Können Sie mit anderen Worten sagen, was Sie brauchen? Sie können auch jederzeit nach einem Menschen fragen.",
        pt: "Desculpe, não entendi bem. Pode me dizer com outras palavras o que precisa? Você também pode pedir para falar com uma pessoa."
    },
    AnswerFailed = "answer_failed" [] {
        en: "Sorry that didn't help. Could you tell me a bit more about what you need?",
        es: "Siento que no te haya servido. ¿Puedes contarme un poco más sobre lo que necesitas?",
        fr: "Désolé que cela n'ait pas aidé. Pouvez-vous m'en dire un peu plus sur votre besoin ?",
        de: "Schade, dass das nicht geholfen hat. Können Sie mir etwas mehr darüber sagen, was Sie brauchen?",
        pt: "Sinto muito que não tenha ajudado. Pode me contar um pouco mais sobre o que precisa?"
    },
    SlotInvalid = "slot_invalid" [] {
        en: "Sorry, that doesn't look right.",
        es: "Perdona, eso no parece correcto.",
        fr: "Désolé, cela ne semble pas correct.",
        de: "Entschuldigung, das scheint nicht zu stimmen.",
        pt: "Desculpe, isso não parece correto."
    },
    DatePast = "date_past" [] {
        en: "That date has already passed. Which future date would suit you?",
        es: "Esa fecha ya ha pasado. ¿Qué fecha futura te viene bien?",
        fr: "Cette date est déjà passée. Quelle date future vous conviendrait ?",
        de: "Dieses Datum ist bereits vorbei. Welches künftige Datum passt Ihnen?",
        pt: "Essa data já passou. Qual data futura seria melhor para você?"
    },
    Verify = "verify" [] {
        en: "To protect your account, please tell me the email address we have on file for you.",
        es: "Para proteger tu cuenta, dime por favor la dirección de correo electrónico que tenemos registrada.",
        fr: "Pour protéger votre compte, indiquez-moi l'adresse e-mail enregistrée chez nous.",
        de: "Zum Schutz Ihres Kontos nennen Sie mir bitte die bei uns hinterlegte E-Mail-Adresse.",
        pt: "Para proteger sua conta, informe o endereço de e-mail que temos cadastrado."
    },
    VerifyFailed = "verify_failed" [] {
        en: "That doesn't match the email address we have on file. Could you check it?",
        es: "No coincide con el correo que tenemos registrado. ¿Puedes comprobarlo?",
        fr: "Cela ne correspond pas à l'adresse e-mail enregistrée. Pouvez-vous vérifier ?",
        de: "Das stimmt nicht mit der hinterlegten E-Mail-Adresse überein. Können Sie sie prüfen?",
        pt: "Isso não corresponde ao e-mail cadastrado. Pode verificar?"
    },
    ConfirmGeneric = "confirm" ["action"] {
        en: "Shall I go ahead and {action}? (yes/no)",
        es: "¿Procedo a {action}? (sí/no)",
        fr: "Dois-je {action} ? (oui/non)",
        de: "Soll ich {action}? (ja/nein)",
        pt: "Posso {action}? (sim/não)"
    },
    Cancelled = "cancelled" [] {
        en: "OK, I won't do that. Is there anything else I can help with?",
        es: "De acuerdo, no lo haré. ¿Hay algo más en lo que pueda ayudarte?",
        fr: "D'accord, je ne le fais pas. Puis-je vous aider pour autre chose ?",
        de: "In Ordnung, dann nicht. Kann ich Ihnen sonst noch helfen?",
        pt: "Tudo bem, não vou fazer isso. Posso ajudar em mais alguma coisa?"
    },
    ApprovalPending = "approval_pending" ["action"] {
        en: "I've prepared this and asked a colleague to approve it ({action}). You'll get a confirmation here once it's done.",
        es: "Lo he preparado y he pedido a un compañero que lo apruebe ({action}). Recibirás la confirmación aquí en cuanto esté hecho.",
        fr: "J'ai tout préparé et demandé à un collègue de l'approuver ({action}). Vous recevrez la confirmation ici dès que ce sera fait.",
        de: "Ich habe alles vorbereitet und eine Kollegin gebeten, es freizugeben ({action}). Sie erhalten hier eine Bestätigung, sobald es erledigt ist.",
        pt: "Preparei tudo e pedi a um colega para aprovar ({action}). Você receberá a confirmação aqui assim que estiver feito."
    },
    ApprovalRejected = "approval_rejected" ["action"] {
        en: "A colleague reviewed your request ({action}) and couldn't approve it. A person from our team will follow up with you.",
        es: "Un compañero revisó tu solicitud ({action}) y no pudo aprobarla. Una persona de nuestro equipo se pondrá en contacto contigo.",
        fr: "Un collègue a examiné votre demande ({action}) et n'a pas pu l'approuver. Une personne de notre équipe reviendra vers vous.",
        de: "Eine Kollegin hat Ihre Anfrage ({action}) geprüft und konnte sie nicht freigeben. Jemand aus unserem Team meldet sich bei Ihnen.",
        pt: "Um colega analisou sua solicitação ({action}) e não pôde aprová-la. Uma pessoa da nossa equipe entrará em contato."
    },
    HandoffRequest = "handoff_request" [] {
        en: "Of course — I'll connect you with a person.",
        es: "Claro, te paso con una persona.",
        fr: "Bien sûr, je vous mets en relation avec une personne.",
        de: "Natürlich – ich verbinde Sie mit einem Menschen.",
        pt: "Claro, vou passar você para uma pessoa."
    },
    HandoffSensitive = "handoff_sensitive" [] {
        en: "I'm sorry to hear that. This is best handled by a person, so I'm passing you to our team.",
        es: "Siento mucho oír eso. Es mejor que lo lleve una persona, así que te paso con nuestro equipo.",
        fr: "Je suis désolé de l'apprendre. Il vaut mieux qu'une personne s'en occupe, je vous passe donc à notre équipe.",
        de: "Das tut mir leid zu hören. Darum kümmert sich am besten ein Mensch, ich gebe Sie an unser Team weiter.",
        pt: "Sinto muito. Isso é melhor tratado por uma pessoa, então vou passar você para a nossa equipe."
    },
    HandoffFrustrated = "handoff_frustrated" [] {
        en: "I'm sorry this has been frustrating. I'm passing you to a person who can sort it out.",
        es: "Siento que esto esté siendo frustrante. Te paso con una persona que pueda resolverlo.",
        fr: "Je suis désolé que ce soit aussi frustrant. Je vous passe à une personne qui pourra régler cela.",
        de: "Es tut mir leid, dass das so ärgerlich ist. Ich gebe Sie an einen Menschen weiter, der das klären kann.",
        pt: "Sinto muito que isso esteja sendo frustrante. Vou passar você para uma pessoa que possa resolver."
    },
    HandoffFailed = "handoff_failed" [] {
        en: "I'm sorry I couldn't help with that. I'm passing you to a person who can.",
        es: "Siento no haber podido ayudarte con eso. Te paso con una persona que sí pueda.",
        fr: "Désolé de ne pas avoir pu vous aider. Je vous passe à une personne qui le pourra.",
        de: "Es tut mir leid, dass ich nicht helfen konnte. Ich gebe Sie an einen Menschen weiter, der es kann.",
        pt: "Sinto muito não ter conseguido ajudar. Vou passar você para uma pessoa que possa."
    },
    HandoffActionFailed = "handoff_action_failed" ["action"] {
        en: "I'm sorry — I couldn't {action} just now because of a problem on our side. I'm passing you to a person who can help.",
        es: "Lo siento, ahora mismo no he podido {action} por un problema nuestro. Te paso con una persona que pueda ayudarte.",
        fr: "Désolé, je n'ai pas pu {action} à cause d'un problème de notre côté. Je vous passe à une personne qui pourra vous aider.",
        de: "Entschuldigung – ich konnte wegen eines Problems bei uns gerade nicht {action}. Ich gebe Sie an einen Menschen weiter, der helfen kann.",
        pt: "Desculpe, não consegui {action} agora por um problema do nosso lado. Vou passar você para uma pessoa que possa ajudar."
    },
    HandoffPriority = "handoff_priority" [] {
        en: "Let me get you a person to help with this right away.",
        es: "Te paso ahora mismo con una persona para que te ayude con esto.",
        fr: "Je vous passe tout de suite une personne pour vous aider.",
        de: "Ich verbinde Sie gleich mit einem Menschen, der Ihnen dabei hilft.",
        pt: "Vou passar você agora mesmo para uma pessoa ajudar com isso."
    },
    HandoffVerification = "handoff_verification" [] {
        en: "I couldn't confirm your identity here, so I'm passing you to a person who can help securely.",
        es: "No he podido confirmar tu identidad por aquí, así que te paso con una persona que pueda ayudarte de forma segura.",
        fr: "Je n'ai pas pu confirmer votre identité ici, je vous passe donc à une personne qui pourra vous aider en toute sécurité.",
        de: "Ich konnte Ihre Identität hier nicht bestätigen, daher gebe ich Sie an einen Menschen weiter, der sicher helfen kann.",
        pt: "Não consegui confirmar sua identidade por aqui, então vou passar você para uma pessoa que possa ajudar com segurança."
    },
    HandoffLanguage = "handoff_language" [] {
        en: "I can't help in your language yet, so I'm passing you to a person.",
        es: "Todavía no puedo ayudarte en tu idioma, así que te paso con una persona.",
        fr: "Je ne peux pas encore vous aider dans votre langue, je vous passe donc à une personne.",
        de: "Ich kann in Ihrer Sprache noch nicht helfen, daher gebe ich Sie an einen Menschen weiter.",
        pt: "Ainda não consigo ajudar no seu idioma, então vou passar você para uma pessoa."
    },
    HandoffGeneric = "handoff" [] {
        en: "I'm passing you to a person from our team.",
        es: "Te paso con una persona de nuestro equipo.",
        fr: "Je vous passe à une personne de notre équipe.",
        de: "Ich gebe Sie an jemanden aus unserem Team weiter.",
        pt: "Vou passar você para uma pessoa da nossa equipe."
    },
    WaitNow = "wait_now" ["queue"] {
        en: "Someone from our {queue} team will be with you shortly. You don't need to repeat anything — they'll see this conversation.",
        es: "Alguien de nuestro equipo de {queue} te atenderá en breve. No hace falta que repitas nada: verán esta conversación.",
        fr: "Quelqu'un de notre équipe {queue} va vous répondre très vite. Inutile de répéter : cette conversation lui sera transmise.",
        de: "Jemand aus unserem Team {queue} ist gleich für Sie da. Sie müssen nichts wiederholen – das Gespräch liegt ihm vor.",
        pt: "Alguém da nossa equipe de {queue} vai atender você em breve. Não precisa repetir nada: a equipe verá esta conversa."
    },
    WaitMinutes = "wait_minutes" ["queue", "minutes"] {
        en: "Someone from our {queue} team will be with you in about {minutes} minutes. You don't need to repeat anything — they'll see this conversation.",
        es: "Alguien de nuestro equipo de {queue} te atenderá en unos {minutes} minutos. No hace falta que repitas nada: verán esta conversación.",
        fr: "Quelqu'un de notre équipe {queue} vous répondra dans environ {minutes} minutes. Inutile de répéter : cette conversation lui sera transmise.",
        de: "Jemand aus unserem Team {queue} ist in etwa {minutes} Minuten für Sie da. Sie müssen nichts wiederholen – das Gespräch liegt ihm vor.",
        pt: "Alguém da nossa equipe de {queue} vai atender você em cerca de {minutes} minutos. Não precisa repetir nada: a equipe verá esta conversa."
    },
    NoAgent = "no_agent" ["contact"] {
        en: "Right now nobody from our team is available, so I've asked them to get back to you {contact} as soon as they can. You can keep writing here; they'll see everything.",
        es: "Ahora mismo no hay nadie de nuestro equipo disponible, así que les he pedido que te respondan {contact} lo antes posible. Puedes seguir escribiendo aquí; lo verán todo.",
        fr: "Personne de notre équipe n'est disponible pour le moment ; je leur ai demandé de vous recontacter {contact} dès que possible. Vous pouvez continuer à écrire ici, ils verront tout.",
        de: "Gerade ist niemand aus unserem Team erreichbar, deshalb habe ich darum gebeten, dass man sich {contact} so bald wie möglich bei Ihnen meldet. Sie können hier weiterschreiben; alles wird gesehen.",
        pt: "No momento ninguém da nossa equipe está disponível, então pedi que entrem em contato com você {contact} assim que possível. Pode continuar escrevendo aqui; eles verão tudo."
    },
    OpeningHours = "opening_hours" ["hours"] {
        en: "Our team is available {hours}.",
        es: "Nuestro equipo está disponible: {hours}.",
        fr: "Notre équipe est disponible : {hours}.",
        de: "Unser Team ist erreichbar: {hours}.",
        pt: "Nossa equipe está disponível: {hours}."
    },
    ByEmail = "by_email" [] {
        en: "by email",
        es: "por correo electrónico",
        fr: "par e-mail",
        de: "per E-Mail",
        pt: "por e-mail"
    },
    ByPhone = "by_phone" [] {
        en: "by phone",
        es: "por teléfono",
        fr: "par téléphone",
        de: "telefonisch",
        pt: "por telefone"
    },
    InThisChat = "in_this_chat" [] {
        en: "in this conversation",
        es: "en esta conversación",
        fr: "dans cette conversation",
        de: "in diesem Gespräch",
        pt: "nesta conversa"
    },
    LeaveEmail = "leave_email" [] {
        en: "If you'd like an answer by email, just leave your email address here.",
        es: "Si prefieres una respuesta por correo, déjanos aquí tu dirección de correo electrónico.",
        fr: "Si vous préférez une réponse par e-mail, laissez simplement votre adresse ici.",
        de: "Wenn Sie eine Antwort per E-Mail möchten, hinterlassen Sie hier einfach Ihre E-Mail-Adresse.",
        pt: "Se preferir uma resposta por e-mail, é só deixar seu endereço de e-mail aqui."
    },
}

impl Phrase {
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.key() == key)
    }

    pub fn keys() -> Vec<&'static str> {
        Self::ALL.iter().map(|p| p.key()).collect()
    }
}

/// The bot's wording for one conversation: built-in phrases with the workspace's
/// overrides, in one language.
#[derive(Clone, Debug)]
pub struct Wording<'a> {
    pub lang: &'a str,
    overrides: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Wording<'a> {
    /// Wording in `lang`; the caller makes sure it is supported.
    pub fn new(lang: &'a str, templates: &'a BTreeMap<String, BTreeMap<String, String>>) -> Self {
        Self { lang, overrides: templates.get(lang).or_else(|| templates.get(base(lang))) }
    }

    /// A phrase with its placeholders filled.
    pub fn say(&self, phrase: Phrase, values: &[(&str, String)]) -> String {
        let text = self
            .overrides
            .and_then(|o| o.get(phrase.key()))
            .map(String::as_str)
            .or_else(|| phrase.builtin(base(self.lang)))
            .or_else(|| phrase.builtin("en"))
            .unwrap_or_default();
        fill(text, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_in_every_language_fills_its_placeholders() {
        for phrase in Phrase::ALL {
            for lang in LANGUAGES {
                let text = phrase.builtin(lang).unwrap_or_default();
                assert!(!text.is_empty(), "{} in {lang}", phrase.key());
                let parsed = crate::template::Template::parse(text).unwrap();
                for p in parsed.placeholders() {
                    assert!(phrase.placeholders().contains(&p), "{} {lang}: {p}", phrase.key());
                }
            }
        }
    }

    #[test]
    fn overrides_win() {
        let templates =
            BTreeMap::from([("en".to_owned(), BTreeMap::from([("goodbye".to_owned(), "See you!".to_owned())]))]);
        assert_eq!(Wording::new("en", &templates).say(Phrase::Goodbye, &[]), "See you!");
        assert!(Wording::new("es", &templates).say(Phrase::Goodbye, &[]).starts_with("Gracias"));
        assert!(supported("pt-BR") && !supported("ja"));
    }
}
