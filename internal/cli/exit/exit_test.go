package exit

import (
	"errors"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{UsageError("bad -p %q", "x"), 2},
		{fmt.Errorf("wrapped: %w", WithCode(TimedOut, errors.New("late"))), 3},
		{&Error{Code: Failed}, 1},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if !Quiet(&Error{Code: 1}) || Quiet(UsageError("x")) {
		t.Error("Quiet is wrong")
	}
	if WithCode(2, nil) != nil {
		t.Error("WithCode(nil) must stay nil")
	}
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		c      *metav1.Condition
		code   int
		finish bool
	}{
		{nil, 0, false},
		{&metav1.Condition{Status: metav1.ConditionUnknown, Reason: "Running"}, 0, false},
		{&metav1.Condition{Status: metav1.ConditionTrue, Reason: "Succeeded"}, 0, true},
		{&metav1.Condition{Status: metav1.ConditionTrue, Reason: "Completed"}, 0, true},
		{&metav1.Condition{Status: metav1.ConditionFalse, Reason: "Failed"}, 1, true},
		{&metav1.Condition{Status: metav1.ConditionFalse, Reason: "Cancelled"}, 1, true},
		{&metav1.Condition{Status: metav1.ConditionFalse, Reason: "TimedOut"}, 3, true},
	} {
		code, ok := Outcome(tc.c)
		if code != tc.code || ok != tc.finish {
			t.Errorf("Outcome(%+v) = %d,%v want %d,%v", tc.c, code, ok, tc.code, tc.finish)
		}
	}
}
