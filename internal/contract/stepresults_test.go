package contract

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStepResultRefs(t *testing.T) {
	got := StepResultRefs(`a $(steps.build.results.digest) $(steps.s-1.results.list[*]) $(steps.s.results.list[2])` +
		` $(steps.s.results.obj.IMAGE_URL) $(step.results.x.path) $(steps.Bad.results.x) $(params.p) $( steps.s.results.r )`)
	want := []StepResultRef{
		{Text: "$(steps.build.results.digest)", Step: "build", Result: "digest", Index: -1},
		{Text: "$(steps.s-1.results.list[*])", Step: "s-1", Result: "list", Star: true, Index: -1},
		{Text: "$(steps.s.results.list[2])", Step: "s", Result: "list", Index: 2},
		{Text: "$(steps.s.results.obj.IMAGE_URL)", Step: "s", Result: "obj", Key: "IMAGE_URL", Index: -1},
		{Text: "$( steps.s.results.r )", Step: "s", Result: "r", Index: -1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if p := StepResultPath("build", "digest"); p != "/windlass/run/step-results/build/digest" {
		t.Fatalf("StepResultPath = %s", p)
	}
}
