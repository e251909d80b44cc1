//! Live progress: a spinner with elapsed time per in-flight step on a
//! terminal (indicatif), plain lines otherwise, nothing but a record in JSON
//! mode. Every finished step is also recorded for the JSON report.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{Event, EventSink};
use crate::model::Urn;
use crate::plan::StepOp;

/// One step as the run report shows it.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// The resource.
    pub urn: Urn,
    /// What it did (or tried to).
    pub op: Option<StepOp>,
    /// `done`, `failed` or `skipped`.
    pub status: &'static str,
    /// The failure or skip reason.
    pub detail: Option<String>,
}

#[derive(Default)]
struct State {
    bars: HashMap<Urn, (ProgressBar, StepOp)>,
    steps: Vec<StepRecord>,
}

/// The progress display of one run.
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
    json: bool,
    state: Arc<Mutex<State>>,
}

fn verb(op: StepOp) -> (&'static str, &'static str) {
    match op {
        StepOp::Create => ("creating", "created"),
        StepOp::Update => ("updating", "updated"),
        StepOp::Replace => ("replacing", "replaced"),
        StepOp::Delete => ("deleting", "deleted"),
        StepOp::DeleteReplaced => ("deleting original", "deleted original"),
        StepOp::Same => ("checking", "unchanged"),
    }
}

fn label(urn: &Urn) -> String {
    format!("{} {}", urn.type_token(), urn.name())
}

impl Progress {
    /// A display; spinners only when stderr is a terminal and not in JSON mode.
    pub fn new(json: bool) -> Progress {
        let multi = (!json && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi, json, state: Arc::new(Mutex::new(State::default())) }
    }

    fn line(&self, text: &str) {
        if self.json {
            return;
        }
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => println!("{text}"),
        }
    }

    /// The engine-facing sink.
    pub fn sink(&self) -> EventSink {
        let me = self.clone();
        Arc::new(move |e| me.on(e))
    }

    fn on(&self, event: &Event) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::StepStarted { urn, op } => {
                if let Some(m) = &self.multi {
                    let bar = m.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_message(format!("{} {}", verb(*op).0, label(urn)));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    st.bars.insert(urn.clone(), (bar, *op));
                }
            }
            Event::StepDone { urn, op, elapsed } => {
                if let Some((bar, _)) = st.bars.remove(urn) {
                    bar.finish_and_clear();
                }
                st.steps.push(StepRecord { urn: urn.clone(), op: Some(*op), status: "done", detail: None });
                drop(st);
                self.line(&format!(
                    " {:<2} {} {} ({:.1}s)",
                    op.symbol(),
                    label(urn),
                    verb(*op).1,
                    elapsed.as_secs_f64()
                ));
            }
            Event::StepFailed { urn, error } => {
                let op = st.bars.remove(urn).map(|(bar, op)| {
                    bar.finish_and_clear();
                    op
                });
                st.steps.push(StepRecord { urn: urn.clone(), op, status: "failed", detail: Some(error.clone()) });
                drop(st);
                if !self.json {
                    eprintln!(" ✗  {} failed: {error}", label(urn));
                }
            }
            Event::StepSkipped { urn, reason } => {
                st.steps.push(StepRecord {
                    urn: urn.clone(),
                    op: None,
                    status: "skipped",
                    detail: Some(reason.clone()),
                });
            }
            Event::Drift { urn, diffs, deleted } => {
                drop(st);
                if *deleted {
                    self.line(&format!(" -  {} was deleted outside tapctl", label(urn)));
                } else {
                    self.line(&format!(" ~  {} changed outside tapctl:", label(urn)));
                    for d in diffs {
                        self.line(&format!("        {}", super::render::diff_line(d)));
                    }
                }
            }
            Event::Notice(text) => {
                drop(st);
                if !self.json {
                    eprintln!("note: {text}");
                }
            }
        }
    }

    /// Clears any spinner left.
    pub fn finish(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (_, (bar, _)) in st.bars.drain() {
            bar.finish_and_clear();
        }
    }

    /// The steps recorded so far.
    pub fn steps(&self) -> Vec<StepRecord> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).steps.clone()
    }
}
