// Package dag orders the tasks of a pipeline: it checks that their
// dependencies form a graph without cycles and answers which tasks a task
// waits for. It is pure and knows nothing of the API.
package dag

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is an acyclic dependency graph over named nodes.
type Graph struct {
	order   []string            // declaration order
	parents map[string][]string // node -> the nodes it waits for, sorted
}

// Build checks deps (node -> the nodes it waits for, each with why) over
// nodes, in declaration order. A dependency on an unknown node or a cycle is
// an error that names the nodes involved.
func Build(nodes []string, deps map[string][]string) (*Graph, error) {
	g := &Graph{order: append([]string(nil), nodes...), parents: make(map[string][]string, len(nodes))}
	known := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if known[n] {
			return nil, fmt.Errorf("task %q is declared twice", n)
		}
		known[n] = true
	}
	for _, n := range nodes {
		seen := map[string]bool{}
		for _, p := range deps[n] {
			if !known[p] {
				return nil, fmt.Errorf("task %q depends on %q, which is not a task of the pipeline", n, p)
			}
			if p == n {
				return nil, fmt.Errorf("task %q depends on itself", n)
			}
			if !seen[p] {
				seen[p] = true
				g.parents[n] = append(g.parents[n], p)
			}
		}
		sort.Strings(g.parents[n])
	}
	if cycle := g.findCycle(); cycle != nil {
		return nil, fmt.Errorf("the tasks form a cycle: %s", strings.Join(cycle, " → "))
	}
	return g, nil
}

// findCycle returns one cycle as a path that starts and ends at the same node.
func (g *Graph) findCycle() []string {
	const (
		unseen = iota
		active
		done
	)
	state := make(map[string]int, len(g.order))
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = active
		stack = append(stack, n)
		for _, p := range g.parents[n] {
			switch state[p] {
			case active:
				for i, s := range stack {
					if s == p {
						// stack runs from a dependent to what it waits for; show it
						// in execution order: p first.
						path := append([]string{}, stack[i:]...)
						for l, r := 0, len(path)-1; l < r; l, r = l+1, r-1 {
							path[l], path[r] = path[r], path[l]
						}
						return append([]string{p}, path...)
					}
				}
			case unseen:
				if c := visit(p); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, n := range g.order {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// Parents are the nodes n waits for, sorted.
func (g *Graph) Parents(n string) []string { return g.parents[n] }

// Order returns the nodes so that every node comes after the nodes it waits
// for; among nodes free to go, declaration order is kept.
func (g *Graph) Order() []string {
	placed := make(map[string]bool, len(g.order))
	out := make([]string, 0, len(g.order))
	for len(out) < len(g.order) {
		for _, n := range g.order {
			if placed[n] {
				continue
			}
			ready := true
			for _, p := range g.parents[n] {
				ready = ready && placed[p]
			}
			if ready {
				placed[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}
