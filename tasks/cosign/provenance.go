package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// PredicateType is SLSA provenance v1's in-toto predicate type.
const PredicateType = "https://slsa.dev/provenance/v1"

// BuildType names how Windlass builds: a Task run on Kubernetes.
const BuildType = "https://windlass.dev/buildtypes/task/v1"

// runInfo is what the attest step knows about the build it attests.
type runInfo struct {
	BuilderID               string
	SourceURI, SourceCommit string
	Params                  map[string]string
	Namespace, PipelineRun  string
	TaskRun, TaskRunUID     string
	StartedOn, FinishedOn   time.Time
}

// provenance is an SLSA v1 provenance predicate for the run.
func provenance(r runInfo) ([]byte, error) {
	if r.BuilderID == "" {
		return nil, fmt.Errorf("the builder id is required")
	}
	ext := map[string]any{}
	if len(r.Params) > 0 {
		ext["parameters"] = r.Params
	}
	var deps []map[string]any
	if r.SourceURI != "" {
		src := map[string]any{"uri": gitURI(r.SourceURI)}
		if r.SourceCommit != "" {
			src["digest"] = map[string]string{"sha1": r.SourceCommit}
		}
		ext["source"] = src
		deps = append(deps, src)
	}
	internal := map[string]any{}
	for k, v := range map[string]string{"namespace": r.Namespace, "pipelineRun": r.PipelineRun, "taskRun": r.TaskRun} {
		if v != "" {
			internal[k] = v
		}
	}
	def := map[string]any{"buildType": BuildType, "externalParameters": ext}
	if len(internal) > 0 {
		def["internalParameters"] = internal
	}
	if len(deps) > 0 {
		def["resolvedDependencies"] = deps
	}
	md := map[string]any{}
	if id := invocationID(r); id != "" {
		md["invocationId"] = id
	}
	if !r.StartedOn.IsZero() {
		md["startedOn"] = r.StartedOn.UTC().Format(time.RFC3339)
	}
	if !r.FinishedOn.IsZero() {
		md["finishedOn"] = r.FinishedOn.UTC().Format(time.RFC3339)
	}
	details := map[string]any{"builder": map[string]string{"id": r.BuilderID}}
	if len(md) > 0 {
		details["metadata"] = md
	}
	return json.MarshalIndent(map[string]any{"buildDefinition": def, "runDetails": details}, "", "  ")
}

// gitURI is the SLSA form of a git source: git+<url>.
func gitURI(u string) string {
	if strings.HasPrefix(u, "git+") {
		return u
	}
	return "git+" + u
}

func invocationID(r runInfo) string {
	parts := []string{}
	for _, p := range []string{r.Namespace, r.PipelineRun, r.TaskRun} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	id := strings.Join(parts, "/")
	if r.TaskRunUID != "" {
		id += "@" + r.TaskRunUID
	}
	return id
}
