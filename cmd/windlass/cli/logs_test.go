package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestTaskRunOrderAndLaneNames(t *testing.T) {
	tr := func(name string, labels map[string]string) windlassv1.TaskRun {
		return windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	trs := []windlassv1.TaskRun{
		tr("r-test-1", map[string]string{"windlass.dev/pipelineTask": "test", "windlass.dev/attempt": "1"}),
		tr("r-build-m1", map[string]string{"windlass.dev/pipelineTask": "build", "windlass.dev/matrixIndex": "1"}),
		tr("r-test", map[string]string{"windlass.dev/pipelineTask": "test", "windlass.dev/attempt": "0"}),
		tr("r-build-m0", map[string]string{"windlass.dev/pipelineTask": "build", "windlass.dev/matrixIndex": "0"}),
		tr("r-fetch", map[string]string{"windlass.dev/pipelineTask": "fetch"}),
		tr("standalone", nil),
	}
	sortTaskRuns(trs, []string{"fetch", "build", "test"})
	var got []string
	for i := range trs {
		got = append(got, laneName(&trs[i]))
	}
	// A TaskRun of no known task sorts last and is named by itself.
	want := []string{"fetch", "build[0]", "build[1]", "test", "test/retry1", "standalone"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
}
