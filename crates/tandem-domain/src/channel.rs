//! The channels a customer can reach a workspace on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A contact channel. One conversation may span several of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WebChat,
    Email,
    Sms,
    Whatsapp,
    Voice,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 6] = [Self::WebChat, Self::Email, Self::Sms, Self::Whatsapp, Self::Voice, Self::Api];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WebChat => "web_chat",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
            Self::Voice => "voice",
            Self::Api => "api",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            ValidationError::new(
                "channel",
                format!("unknown channel `{s}`; use one of web_chat, email, sms, whatsapp, voice, api"),
            )
        })
    }
}
