//! A small seeded generator (xoshiro256++ seeded by SplitMix64) and the distributions the
//! simulator draws from. Self-contained so the same seed gives the same numbers on every
//! machine and every version of every dependency.

use serde::{Deserialize, Serialize};

pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self { s: [next(), next(), next(), next()] }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1]: never zero, so `ln` is always finite.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with the given mean.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -self.unit().ln() * mean
    }

    /// Standard normal (Box–Muller; one of the pair is discarded for simplicity).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A duration distribution, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Exponential {
        mean_seconds: f64,
    },
    /// Log-normal with this mean and standard deviation (of the duration itself).
    Lognormal {
        mean_seconds: f64,
        sd_seconds: f64,
    },
    Fixed {
        seconds: f64,
    },
}

impl Distribution {
    pub fn mean(&self) -> f64 {
        match *self {
            Self::Exponential { mean_seconds } | Self::Lognormal { mean_seconds, .. } => mean_seconds,
            Self::Fixed { seconds } => seconds,
        }
    }

    pub fn validate(&self, what: &str) -> Result<(), String> {
        let ok = match *self {
            Self::Exponential { mean_seconds } => mean_seconds > 0.0 && mean_seconds.is_finite(),
            Self::Lognormal { mean_seconds, sd_seconds } => {
                mean_seconds > 0.0 && mean_seconds.is_finite() && sd_seconds >= 0.0 && sd_seconds.is_finite()
            }
            Self::Fixed { seconds } => seconds >= 0.0 && seconds.is_finite(),
        };
        if ok { Ok(()) } else { Err(format!("{what}: durations must be finite and positive")) }
    }

    /// Draws a duration in seconds.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match *self {
            Self::Exponential { mean_seconds } => rng.exponential(mean_seconds),
            Self::Lognormal { mean_seconds, sd_seconds } => {
                let sigma2 = (1.0 + (sd_seconds / mean_seconds).powi(2)).ln();
                let mu = mean_seconds.ln() - sigma2 / 2.0;
                (mu + sigma2.sqrt() * rng.normal()).exp()
            }
            Self::Fixed { seconds } => seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_means_hold() {
        let mut a = Rng::seeded(7);
        let mut b = Rng::seeded(7);
        assert_eq!((0..5).map(|_| a.next_u64()).collect::<Vec<_>>(), (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        let n = 200_000;
        for d in [
            Distribution::Exponential { mean_seconds: 180.0 },
            Distribution::Lognormal { mean_seconds: 300.0, sd_seconds: 150.0 },
        ] {
            let mean = (0..n).map(|_| d.sample(&mut a)).sum::<f64>() / f64::from(n);
            assert!((mean / d.mean() - 1.0).abs() < 0.01, "{d:?}: {mean}");
        }
    }
}
