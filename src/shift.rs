//! Progressive traffic shifting between the blue and green services: move the
//! weights step by step (10 % → 50 % → 100 % by default), watch the stack's
//! alarms between steps, and roll back to where the shift started when an
//! alarm fires, a step fails or the user interrupts.
//!
//! Where the weights live is the program's [`TrafficControl`]: the forward
//! action of one ALB listener (the flagship), or a pair of weighted Route 53
//! records of one name (the EC2 blue-green migration).
//!
//! Invariant: every step is a complete, recorded `up` of the traffic control's
//! resources alone, so the state always holds the weights the cloud has; a
//! rollback is just another such step.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::engine::{Cancel, CancelLevel, Event, EventSink};
use crate::model::Urn;
use crate::provider::AlarmSource;

/// How traffic is split: percentages that sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    /// Percent of requests to blue.
    pub blue: u32,
    /// Percent of requests to green.
    pub green: u32,
}

impl std::fmt::Display for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "blue {}% / green {}%", self.blue, self.green)
    }
}

impl Weights {
    /// The migration phase these weights stand for, from blue to green:
    /// `initial` (all on blue), `canary` (green under half), `balanced`
    /// (half each), `cutover` (green over half) and `complete` (all on green).
    pub fn phase(&self) -> &'static str {
        match self.green {
            0 => "initial",
            100 => "complete",
            50 => "balanced",
            g if g < 50 => "canary",
            _ => "cutover",
        }
    }
}

/// Where a program's blue/green split lives, i.e. which resources one shift
/// step updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrafficControl {
    /// One ALB listener whose forward action weights the two target groups.
    ListenerWeights {
        /// The listener.
        listener: Urn,
    },
    /// Two weighted Route 53 records of one name, one per colour.
    WeightedRecords {
        /// The record pointing at blue.
        blue: Urn,
        /// The record pointing at green.
        green: Urn,
    },
}

impl TrafficControl {
    /// The resources a shift step updates (the `up`'s targets).
    pub fn targets(&self) -> Vec<Urn> {
        match self {
            TrafficControl::ListenerWeights { listener } => vec![listener.clone()],
            TrafficControl::WeightedRecords { blue, green } => vec![blue.clone(), green.clone()],
        }
    }
}

/// The colour traffic moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// The blue service.
    Blue,
    /// The green service.
    Green,
}

/// Why a shift could not run or could not be undone.
#[derive(Debug, thiserror::Error)]
pub enum ShiftError {
    /// The steps make no sense.
    #[error("--steps {0}")]
    BadSteps(String),
    /// The rollback itself failed: the listener may be between weights.
    #[error(
        "rolling back to {to} after `{reason}` failed: {error}; run `tapctl up` to restore the configured weights"
    )]
    RollbackFailed {
        /// Where the rollback was going.
        to: Weights,
        /// Why it rolled back.
        reason: String,
        /// Why the rollback failed.
        error: String,
    },
}

/// A validated shift: the target colour's share after each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftPlan {
    to: Colour,
    steps: Vec<u32>,
    interval: Duration,
}

impl ShiftPlan {
    /// Checks that `steps` rise strictly, stay within 1–100 and end at 100.
    pub fn new(to: Colour, steps: Vec<u32>, interval: Duration) -> Result<ShiftPlan, ShiftError> {
        if steps.is_empty() {
            return Err(ShiftError::BadSteps("is empty; give percentages such as 10,50,100".into()));
        }
        if steps.iter().any(|s| !(1..=100).contains(s)) || steps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ShiftError::BadSteps(format!("{steps:?} must rise strictly from 1 to 100")));
        }
        if steps.last() != Some(&100) {
            return Err(ShiftError::BadSteps(format!("{steps:?} must end at 100, so the shift completes")));
        }
        Ok(ShiftPlan { to, steps, interval })
    }

    /// The weights after each step, starting from `from` (steps that would
    /// not move traffic forward are skipped).
    pub fn weights(&self, from: Weights) -> Vec<Weights> {
        let current = match self.to {
            Colour::Blue => from.blue,
            Colour::Green => from.green,
        };
        self.steps
            .iter()
            .filter(|&&s| s > current)
            .map(|&s| match self.to {
                Colour::Blue => Weights { blue: s, green: 100 - s },
                Colour::Green => Weights { blue: 100 - s, green: s },
            })
            .collect()
    }
}

/// How a shift ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftOutcome {
    /// Every step was applied and no alarm fired.
    Completed(Weights),
    /// The shift was undone.
    RolledBack {
        /// The weights restored.
        to: Weights,
        /// Why.
        reason: String,
    },
}

/// Applies one set of weights (an `up` of the [`TrafficControl`]'s
/// resources, recorded in state).
#[async_trait]
pub trait TrafficSwitch: Send + Sync {
    /// Moves the traffic to `weights`.
    async fn set(&self, weights: Weights) -> Result<(), String>;
}

/// Runs `plan` from `start`, watching `alarms` for `watch` between steps.
pub async fn run(
    plan: &ShiftPlan,
    start: Weights,
    switch: &dyn TrafficSwitch,
    alarms: &dyn AlarmSource,
    watch: &[String],
    cancel: &Cancel,
    events: &EventSink,
) -> Result<ShiftOutcome, ShiftError> {
    let poll = plan.interval.clamp(Duration::from_millis(10), Duration::from_secs(5));
    let mut last = start;
    for weights in plan.weights(start) {
        if cancel.level() > CancelLevel::Running {
            return roll_back(start, "interrupted".into(), switch, events).await;
        }
        if let Err(e) = switch.set(weights).await {
            return roll_back(start, format!("moving to {weights} failed: {e}"), switch, events).await;
        }
        last = weights;
        events(&Event::Notice(format!(
            "traffic now {weights}; watching {} alarm(s) for {:?}",
            watch.len(),
            plan.interval
        )));
        let began = Instant::now();
        loop {
            match alarms.firing(watch).await {
                Ok(firing) if !firing.is_empty() => {
                    return roll_back(start, format!("alarm {} fired", firing.join(", ")), switch, events).await;
                }
                Ok(_) => {}
                Err(e) => return roll_back(start, format!("the alarms could not be read: {e}"), switch, events).await,
            }
            if began.elapsed() >= plan.interval {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = cancel.reached(CancelLevel::Draining) => {
                    return roll_back(start, "interrupted".into(), switch, events).await;
                }
            }
        }
    }
    Ok(ShiftOutcome::Completed(last))
}

async fn roll_back(
    to: Weights,
    reason: String,
    switch: &dyn TrafficSwitch,
    events: &EventSink,
) -> Result<ShiftOutcome, ShiftError> {
    events(&Event::Notice(format!("rolling back to {to}: {reason}")));
    match switch.set(to).await {
        Ok(()) => Ok(ShiftOutcome::RolledBack { to, reason }),
        Err(error) => Err(ShiftError::RollbackFailed { to, reason, error }),
    }
}

/// Parses `60s`, `2m`, `500ms` or `0`.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = number.parse().map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 2m, 500ms)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{s}` has an unknown unit; use ms, s or m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<Weights>>, Option<Weights>);

    #[async_trait]
    impl TrafficSwitch for Recorder {
        async fn set(&self, w: Weights) -> Result<(), String> {
            if Some(w) == self.1 {
                return Err("listener update refused".into());
            }
            self.0.lock().unwrap().push(w);
            Ok(())
        }
    }

    struct Alarms(Mutex<usize>, usize);

    #[async_trait]
    impl AlarmSource for Alarms {
        async fn firing(&self, _: &[String]) -> Result<Vec<String>, crate::provider::ProviderError> {
            let mut calls = self.0.lock().unwrap();
            *calls += 1;
            Ok(if *calls > self.1 { vec!["tap-dev-alb-5xx".into()] } else { vec![] })
        }
    }

    const BLUE: Weights = Weights { blue: 100, green: 0 };

    fn plan(steps: &[u32]) -> ShiftPlan {
        ShiftPlan::new(Colour::Green, steps.to_vec(), Duration::ZERO).unwrap()
    }

    #[tokio::test]
    async fn a_quiet_shift_walks_every_step() {
        let switch = Recorder(Mutex::new(vec![]), None);
        let out = run(
            &plan(&[10, 50, 100]),
            BLUE,
            &switch,
            &Alarms(Mutex::new(0), usize::MAX),
            &[],
            &Cancel::new(),
            &crate::engine::no_events(),
        )
        .await
        .unwrap();
        assert_eq!(out, ShiftOutcome::Completed(Weights { blue: 0, green: 100 }));
        let seen: Vec<u32> = switch.0.lock().unwrap().iter().map(|w| w.green).collect();
        assert_eq!(seen, [10, 50, 100]);
    }

    #[tokio::test]
    async fn an_alarm_rolls_back_to_the_start() {
        let switch = Recorder(Mutex::new(vec![]), None);
        let out = run(
            &plan(&[10, 50, 100]),
            BLUE,
            &switch,
            &Alarms(Mutex::new(0), 1),
            &[],
            &Cancel::new(),
            &crate::engine::no_events(),
        )
        .await
        .unwrap();
        let ShiftOutcome::RolledBack { to, reason } = out else { panic!("{out:?}") };
        assert_eq!(to, BLUE);
        assert!(reason.contains("tap-dev-alb-5xx"));
        let seen: Vec<u32> = switch.0.lock().unwrap().iter().map(|w| w.green).collect();
        assert_eq!(seen, [10, 50, 0]);
    }

    #[tokio::test]
    async fn a_failed_step_or_an_interrupt_rolls_back() {
        let switch = Recorder(Mutex::new(vec![]), Some(Weights { blue: 50, green: 50 }));
        let out = run(
            &plan(&[10, 50, 100]),
            BLUE,
            &switch,
            &Alarms(Mutex::new(0), usize::MAX),
            &[],
            &Cancel::new(),
            &crate::engine::no_events(),
        )
        .await
        .unwrap();
        assert!(matches!(out, ShiftOutcome::RolledBack { to: BLUE, .. }));
        let cancel = Cancel::new();
        cancel.request();
        let switch = Recorder(Mutex::new(vec![]), None);
        let out = run(
            &plan(&[10, 100]),
            BLUE,
            &switch,
            &Alarms(Mutex::new(0), usize::MAX),
            &[],
            &cancel,
            &crate::engine::no_events(),
        )
        .await
        .unwrap();
        assert_eq!(out, ShiftOutcome::RolledBack { to: BLUE, reason: "interrupted".into() });
    }

    #[test]
    fn phases_follow_the_weights_and_controls_name_their_targets() {
        let phase = |green| Weights { blue: 100 - green, green }.phase();
        assert_eq!([0, 10, 50, 90, 100].map(phase), ["initial", "canary", "balanced", "cutover", "complete"]);
        let urn = |n: &str| Urn::new("dev", "tap", None, "aws:route53/record:Record", n);
        let records = TrafficControl::WeightedRecords { blue: urn("blue"), green: urn("green") };
        assert_eq!(records.targets(), vec![urn("blue"), urn("green")]);
        assert_eq!(TrafficControl::ListenerWeights { listener: urn("l") }.targets(), vec![urn("l")]);
    }

    #[test]
    fn steps_and_intervals_are_validated() {
        assert!(ShiftPlan::new(Colour::Green, vec![50, 10, 100], Duration::ZERO).is_err());
        assert!(ShiftPlan::new(Colour::Green, vec![10, 50], Duration::ZERO).is_err());
        assert!(ShiftPlan::new(Colour::Green, vec![0, 100], Duration::ZERO).is_err());
        let p = plan(&[10, 50, 100]);
        assert_eq!(p.weights(Weights { blue: 50, green: 50 }).len(), 1, "steps already passed are skipped");
        assert_eq!(parse_interval("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_interval("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_interval("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("5h").is_err());
    }
}
