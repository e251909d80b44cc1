//! The scheduler: runs jobs over a DAG, each as soon as its prerequisites have
//! succeeded, at most `parallel` at once. A failed job skips everything that
//! needs it while independent branches carry on; cancellation stops new jobs
//! (draining) or drops in-flight ones (abort).

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::{FuturesUnordered, StreamExt};

use super::cancel::{Cancel, CancelLevel};

/// How one job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd<T, E = String> {
    /// It succeeded.
    Done(T),
    /// It failed with this error.
    Failed(E),
    /// It was not run: a prerequisite failed or was skipped (its index), or the
    /// run was cancelled (`None`).
    Skipped(Option<usize>),
    /// It was in flight when the run was aborted.
    Abandoned,
}

/// Runs `job(i)` for every node `i` of a DAG given as prerequisite lists.
/// Jobs become ready in index order, so callers pass a topological order to
/// keep starts deterministic. Returns each node's end, by index.
pub async fn run_dag<T, E, F, Fut>(
    prerequisites: &[Vec<usize>],
    parallel: usize,
    cancel: &Cancel,
    job: F,
) -> Vec<JobEnd<T, E>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = (usize, Result<T, E>)>,
{
    let n = prerequisites.len();
    let mut waiting: Vec<usize> = prerequisites.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, pre) in prerequisites.iter().enumerate() {
        for &p in pre {
            dependents[p].push(i);
        }
    }
    let mut ends: Vec<Option<JobEnd<T, E>>> = (0..n).map(|_| None).collect();
    let mut blocked_by: Vec<Option<usize>> = vec![None; n];
    let mut ready: VecDeque<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut running = FuturesUnordered::new();
    let parallel = parallel.max(1);

    loop {
        while running.len() < parallel {
            let Some(i) = ready.pop_front() else { break };
            if let Some(cause) = blocked_by[i] {
                ends[i] = Some(JobEnd::Skipped(Some(cause)));
                release(i, true, &dependents, &mut waiting, &mut blocked_by, &mut ready);
                continue;
            }
            if cancel.level() >= CancelLevel::Draining {
                ends[i] = Some(JobEnd::Skipped(None));
                release(i, true, &dependents, &mut waiting, &mut blocked_by, &mut ready);
                continue;
            }
            running.push(job(i));
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = cancel.reached(CancelLevel::Abort) => break,
            Some((i, result)) = running.next() => {
                let failed = result.is_err();
                ends[i] = Some(match result {
                    Ok(v) => JobEnd::Done(v),
                    Err(e) => JobEnd::Failed(e),
                });
                release(i, failed, &dependents, &mut waiting, &mut blocked_by, &mut ready);
            }
        }
    }
    drop(running);
    ends.into_iter().map(|e| e.unwrap_or(JobEnd::Abandoned)).collect()
}

fn release(
    i: usize,
    failed: bool,
    dependents: &[Vec<usize>],
    waiting: &mut [usize],
    blocked_by: &mut [Option<usize>],
    ready: &mut VecDeque<usize>,
) {
    let cause = if failed { Some(blocked_by[i].unwrap_or(i)) } else { None };
    for &d in &dependents[i] {
        if let Some(c) = cause {
            blocked_by[d].get_or_insert(c);
        }
        waiting[d] -= 1;
        if waiting[d] == 0 {
            ready.push_back(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    #[tokio::test]
    async fn jobs_start_after_their_prerequisites_and_respect_the_bound() {
        // 0 -> {1..=8} -> 9
        let mut pre = vec![vec![]];
        for _ in 1..=8 {
            pre.push(vec![0]);
        }
        pre.push((1..=8).collect());
        let order = Mutex::new(Vec::new());
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let ends = run_dag(&pre, 3, &Cancel::new(), |i| {
            let (order, now, peak) = (&order, &now, &peak);
            async move {
                let c = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(c, Ordering::SeqCst);
                order.lock().unwrap().push(("start", i));
                tokio::time::sleep(Duration::from_millis(5)).await;
                order.lock().unwrap().push(("end", i));
                now.fetch_sub(1, Ordering::SeqCst);
                (i, Ok::<_, String>(i))
            }
        })
        .await;
        assert!(ends.iter().all(|e| matches!(e, JobEnd::Done(_))));
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        let order = order.into_inner().unwrap();
        let pos = |ev: (&str, usize)| order.iter().position(|x| *x == ev).unwrap();
        for i in 1..=8 {
            assert!(pos(("end", 0)) < pos(("start", i)));
            assert!(pos(("end", i)) < pos(("start", 9)));
        }
    }

    #[tokio::test]
    async fn a_failure_skips_its_dependents_but_not_independent_branches() {
        // 0 fails; 1 needs 0; 2 needs 1; 3 is independent.
        let pre = vec![vec![], vec![0], vec![1], vec![]];
        let ends =
            run_dag(
                &pre,
                4,
                &Cancel::new(),
                |i| async move { (i, if i == 0 { Err("boom".to_string()) } else { Ok(()) }) },
            )
            .await;
        assert_eq!(ends[0], JobEnd::Failed("boom".into()));
        assert_eq!(ends[1], JobEnd::Skipped(Some(0)));
        assert_eq!(ends[2], JobEnd::Skipped(Some(0)));
        assert_eq!(ends[3], JobEnd::Done(()));
    }

    #[tokio::test]
    async fn draining_lets_in_flight_jobs_finish_and_starts_no_more() {
        let pre = vec![vec![], vec![0], vec![1]];
        let cancel = Cancel::new();
        let ends = run_dag(&pre, 4, &cancel, |i| {
            let cancel = cancel.clone();
            async move {
                if i == 0 {
                    cancel.request();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (i, Ok::<_, String>(()))
            }
        })
        .await;
        assert_eq!(ends[0], JobEnd::Done(()));
        assert_eq!(ends[1], JobEnd::Skipped(None));
        assert_eq!(ends[2], JobEnd::Skipped(Some(1)));
    }

    #[tokio::test]
    async fn abort_abandons_in_flight_jobs() {
        let pre = vec![vec![], vec![]];
        let cancel = Cancel::new();
        let ends = run_dag(&pre, 4, &cancel, |i| {
            let cancel = cancel.clone();
            async move {
                if i == 0 {
                    cancel.request();
                    cancel.request();
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
                (i, Ok::<_, String>(()))
            }
        })
        .await;
        assert!(ends.iter().all(|e| *e == JobEnd::Abandoned));
    }
}
