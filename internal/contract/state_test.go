package contract

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateRoundTrip(t *testing.T) {
	for _, st := range []State{
		{Reason: ReasonCompleted},
		{Reason: ReasonError, ExitCode: 7, Message: `lint: 3 warnings <"quoted"> & ü 日本 🚀 \ $(CC) $$`, WaitedFrom: 1, StartedAt: 1700000000001, FinishedAt: 1700000000002},
		{Reason: ReasonSkipped},
		{Reason: ReasonTimeoutExceeded, ExitCode: 143, Message: "step s exceeded its timeout of 1s"},
		{Reason: ReasonStartError, ExitCode: 127, Message: "\n\t\u2028"},
		{Reason: ReasonResultsTooLarge, ExitCode: -1},
		{Reason: ReasonCompleted, Results: map[string]string{"digest": "sha256:x\n", "": "", "ü": "$$ \x01"}},
		{Reason: ReasonCompleted, ResultsInLog: true},
	} {
		b, err := st.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseState("\n" + string(b) + "\n") // the kubelet may keep surrounding blanks
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(st, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", b, diff)
		}
	}
	// The keys are short: 12 KiB of termination messages are shared by a pod's containers.
	if b, _ := (State{Reason: ReasonCompleted, StartedAt: 1, FinishedAt: 2}).Encode(); string(b) != `{"c":0,"r":"Completed","s":1,"f":2}` {
		t.Errorf("encoded %s", b)
	}
}

func TestParseStateErrors(t *testing.T) {
	for _, msg := range []string{"", "Error", `{"c":1}`, `{"r":""}`, `{"r":1}`, "[]", `{"r":"Completed"`} {
		if st, err := ParseState(msg); err == nil {
			t.Errorf("%q parsed as %+v", msg, st)
		}
	}
}

func TestDecodeResultsFrameRejectsDamage(t *testing.T) {
	frame, err := EncodeResultsFrame(map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeResultsFrame("log line\n" + frame[:len(frame)-20] + "\n"); err == nil {
		t.Fatal("a truncated frame decoded")
	}
	if _, err := DecodeResultsFrame("no frame here"); err == nil {
		t.Fatal("a log without a frame decoded")
	}
	got, err := DecodeResultsFrame("x\n" + frame + "\n")
	if err != nil || got["a"] != "b" {
		t.Fatalf("good frame: %v %v", got, err)
	}
}

func TestResultsFrameRoundTrip(t *testing.T) {
	for _, res := range []map[string]string{
		{"a": "b"},
		{"": "", "ü": "日本 🚀", "nl": "x\ny\n", "frame": ResultsFramePrefix + "::"},
		{"big": strings.Repeat("0123456789abcdef", 8<<10)},
	} {
		frame, err := EncodeResultsFrame(res)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(frame, '\n') {
			t.Fatal("a frame must be one log line")
		}
		// The frame is the last line of the log, after the step's own output.
		got, err := DecodeResultsFrame("step output\n" + ResultsFramePrefix + "not a frame\n" + frame + "\n")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
