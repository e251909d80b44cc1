//! The resource DAG on petgraph: edges run from a dependency to its dependent
//! (a parent counts as a dependency of its children).
//!
//! Invariant: a [`ResourceGraph`] that was built without error is acyclic and
//! holds each URN once; every consumer may rely on a total topological order.

use std::collections::HashMap;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::model::{Program, Urn};

/// Why a graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The same URN was added twice.
    #[error("duplicate resource URN {0}: each resource needs a unique name within its parent")]
    DuplicateUrn(Urn),
    /// An edge names a resource that is not in the graph.
    #[error("{dependent} depends on {dependency}, which the program never registered")]
    UnknownDependency {
        /// The resource declaring the dependency.
        dependent: Urn,
        /// The missing resource.
        dependency: Urn,
    },
    /// The dependencies form a cycle.
    #[error("dependency cycle: {}", cycle.iter().map(Urn::as_str).collect::<Vec<_>>().join(" -> "))]
    Cycle {
        /// The URNs along the cycle, the first repeated at the end.
        cycle: Vec<Urn>,
    },
}

/// A DAG of resources keyed by URN.
#[derive(Debug, Default, Clone)]
pub struct ResourceGraph {
    graph: DiGraph<Urn, ()>,
    index: HashMap<Urn, NodeIndex>,
    order: Vec<NodeIndex>,
}

impl ResourceGraph {
    /// Builds and checks a graph from `(urn, dependencies)` pairs, where
    /// dependencies include the parent. The order of `nodes` breaks ties in the
    /// topological order, so registration order is kept where the edges allow.
    pub fn build(nodes: impl IntoIterator<Item = (Urn, Vec<Urn>)>) -> Result<ResourceGraph, GraphError> {
        let mut g = ResourceGraph::default();
        let nodes: Vec<(Urn, Vec<Urn>)> = nodes.into_iter().collect();
        for (urn, _) in &nodes {
            if g.index.contains_key(urn) {
                return Err(GraphError::DuplicateUrn(urn.clone()));
            }
            let ix = g.graph.add_node(urn.clone());
            g.index.insert(urn.clone(), ix);
        }
        for (urn, deps) in &nodes {
            let to = g.index[urn];
            // `add_edge` after a per-node dedup: `update_edge` scans the source's
            // edges, which is quadratic under a parent with thousands of children.
            let mut seen = std::collections::HashSet::with_capacity(deps.len());
            for dep in deps {
                let from = *g
                    .index
                    .get(dep)
                    .ok_or_else(|| GraphError::UnknownDependency { dependent: urn.clone(), dependency: dep.clone() })?;
                if seen.insert(from) {
                    g.graph.add_edge(from, to, ());
                }
            }
        }
        g.order = g.compute_order()?;
        Ok(g)
    }

    /// Builds the desired-state graph of a program.
    pub fn from_program(program: &Program) -> Result<ResourceGraph, GraphError> {
        ResourceGraph::build(program.resources().iter().map(|r| {
            let mut deps = r.dependencies();
            if let Some(p) = &r.parent {
                deps.push(p.clone());
            }
            (r.urn.clone(), deps)
        }))
    }

    fn compute_order(&self) -> Result<Vec<NodeIndex>, GraphError> {
        match toposort(&self.graph, None) {
            Ok(_) => Ok(self.stable_order()),
            Err(_) => Err(GraphError::Cycle { cycle: self.find_cycle() }),
        }
    }

    /// Kahn's algorithm with insertion-order tie breaking, so that state files
    /// list resources in a stable, readable order.
    fn stable_order(&self) -> Vec<NodeIndex> {
        let mut indegree: Vec<usize> =
            self.graph.node_indices().map(|n| self.graph.neighbors_directed(n, Direction::Incoming).count()).collect();
        let mut ready: std::collections::BTreeSet<usize> =
            indegree.iter().enumerate().filter(|(_, d)| **d == 0).map(|(i, _)| i).collect();
        let mut order = Vec::with_capacity(indegree.len());
        while let Some(i) = ready.pop_first() {
            let n = NodeIndex::new(i);
            order.push(n);
            for m in self.graph.neighbors_directed(n, Direction::Outgoing) {
                indegree[m.index()] -= 1;
                if indegree[m.index()] == 0 {
                    ready.insert(m.index());
                }
            }
        }
        order
    }

    /// Finds one concrete cycle inside the first non-trivial strongly
    /// connected component, so the error names a path a reader can follow.
    fn find_cycle(&self) -> Vec<Urn> {
        let scc = tarjan_scc(&self.graph)
            .into_iter()
            .find(|c| c.len() > 1 || c.iter().any(|&n| self.graph.contains_edge(n, n)))
            .unwrap_or_default();
        let Some(&start) = scc.first() else { return Vec::new() };
        let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
        let mut path = vec![start];
        let mut seen = std::collections::HashSet::from([start]);
        let mut current = start;
        loop {
            let next = self
                .graph
                .neighbors_directed(current, Direction::Outgoing)
                .find(|n| members.contains(n) && (*n == start || !seen.contains(n)));
            match next {
                Some(n) if n == start => {
                    path.push(start);
                    break;
                }
                Some(n) => {
                    seen.insert(n);
                    path.push(n);
                    current = n;
                }
                None => break,
            }
        }
        path.into_iter().map(|n| self.graph[n].clone()).collect()
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Whether the graph holds `urn`.
    pub fn contains(&self, urn: &Urn) -> bool {
        self.index.contains_key(urn)
    }

    /// URNs with every dependency before its dependents.
    pub fn topological_order(&self) -> Vec<Urn> {
        self.order.iter().map(|&n| self.graph[n].clone()).collect()
    }

    /// URNs with every dependent before its dependencies (the order deletes run in).
    pub fn reverse_topological_order(&self) -> Vec<Urn> {
        self.order.iter().rev().map(|&n| self.graph[n].clone()).collect()
    }

    /// The direct dependencies of `urn`.
    pub fn dependencies(&self, urn: &Urn) -> Vec<Urn> {
        self.neighbors(urn, Direction::Incoming)
    }

    /// The direct dependents of `urn`.
    pub fn dependents(&self, urn: &Urn) -> Vec<Urn> {
        self.neighbors(urn, Direction::Outgoing)
    }

    fn neighbors(&self, urn: &Urn, dir: Direction) -> Vec<Urn> {
        self.index
            .get(urn)
            .map(|&n| self.graph.neighbors_directed(n, dir).map(|m| self.graph[m].clone()).collect())
            .unwrap_or_default()
    }

    /// The largest total `weight` along any dependency path (the critical path).
    pub fn longest_path(&self, weight: impl Fn(&Urn) -> u64) -> u64 {
        let mut finish: Vec<u64> = vec![0; self.graph.node_count()];
        for &n in &self.order {
            let start =
                self.graph.neighbors_directed(n, Direction::Incoming).map(|m| finish[m.index()]).max().unwrap_or(0);
            finish[n.index()] = start + weight(&self.graph[n]);
        }
        finish.into_iter().max().unwrap_or(0)
    }

    /// The graph in Graphviz dot form, labelled with resource names and types.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph resources {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
        for &n in &self.order {
            let u = &self.graph[n];
            out.push_str(&format!("  n{} [label=\"{}\\n{}\"];\n", n.index(), u.name(), u.type_token()));
        }
        for e in self.graph.raw_edges() {
            out.push_str(&format!("  n{} -> n{};\n", e.source().index(), e.target().index()));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(name: &str) -> Urn {
        Urn::parse(&format!("urn:pulumi:dev::tap::test:index:Thing::{name}")).unwrap()
    }

    #[test]
    fn orders_dependencies_first_and_keeps_registration_order_for_ties() {
        let g = ResourceGraph::build([
            (u("c"), vec![u("a")]),
            (u("a"), vec![]),
            (u("b"), vec![]),
            (u("d"), vec![u("c"), u("b")]),
        ])
        .unwrap();
        let names: Vec<String> = g.topological_order().iter().map(|x| x.name().to_string()).collect();
        // `c` was registered first, so it runs as soon as `a` allows.
        assert_eq!(names, ["a", "c", "b", "d"]);
        let rev: Vec<String> = g.reverse_topological_order().iter().map(|x| x.name().to_string()).collect();
        assert_eq!(rev, ["d", "b", "c", "a"]);
    }

    #[test]
    fn a_cycle_is_reported_with_its_urns() {
        let err = ResourceGraph::build([
            (u("a"), vec![u("c")]),
            (u("b"), vec![u("a")]),
            (u("c"), vec![u("b")]),
            (u("x"), vec![]),
        ])
        .unwrap_err();
        let GraphError::Cycle { cycle } = &err else { panic!("{err}") };
        assert_eq!(cycle.len(), 4);
        assert_eq!(cycle.first(), cycle.last());
        let msg = err.to_string();
        for n in ["::a", "::b", "::c"] {
            assert!(msg.contains(n), "{msg}");
        }
        assert!(!msg.contains("::x"));
    }

    #[test]
    fn duplicates_and_dangling_edges_are_refused() {
        assert!(matches!(ResourceGraph::build([(u("a"), vec![]), (u("a"), vec![])]), Err(GraphError::DuplicateUrn(_))));
        assert!(matches!(ResourceGraph::build([(u("a"), vec![u("zz")])]), Err(GraphError::UnknownDependency { .. })));
    }

    #[test]
    fn longest_path_sums_weights_along_the_critical_path() {
        let g = ResourceGraph::build([
            (u("a"), vec![]),
            (u("b"), vec![u("a")]),
            (u("c"), vec![u("a")]),
            (u("d"), vec![u("b"), u("c")]),
        ])
        .unwrap();
        let w = |x: &Urn| match x.name() {
            "a" => 1,
            "b" => 10,
            "c" => 3,
            _ => 2,
        };
        assert_eq!(g.longest_path(w), 13);
    }
}
