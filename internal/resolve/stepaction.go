package resolve

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// StepKey is how a step's results are filed (contract.StepResultDir): its
// name, unnamed-<i> for an unnamed one (as its container is named).
func StepKey(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("unnamed-%d", i)
	}
	return name
}

// StepActionRefs lists the StepActions spec's steps reference, in order, once each.
func StepActionRefs(spec *windlassv1.TaskSpec) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range spec.Steps {
		if st.Ref != nil && !seen[st.Ref.Name] {
			seen[st.Ref.Name] = true
			out = append(out, st.Ref.Name)
		}
	}
	return out
}

// StepActions returns spec with every step that references a StepAction
// replaced by the StepAction's container, as Tekton inlines it: the step
// keeps its name and its controls (timeout, onError, workspaces, output
// configs, computeResources, envFrom, imagePullPolicy; securityContext
// unless the StepAction sets one); the StepAction gives image, command,
// args, script, env, workingDir, volumeMounts and results. The
// StepAction's $(params.X) are its own params: the step's value (after
// the Task's references in it are resolved with task), else the default.
// A step's value that is one $(steps.<s>.results.<r>) reference stays a
// reference, resolved by the entrypoint when the step runs. actions holds
// the referenced StepActions by name; errors name the step's field.
func StepActions(spec *windlassv1.TaskSpec, actions map[string]*windlassv1.StepActionSpec, task substitute.Values) (*windlassv1.TaskSpec, error) {
	if len(StepActionRefs(spec)) == 0 {
		return spec, nil
	}
	out := spec.DeepCopy()
	for i := range out.Steps {
		st := &out.Steps[i]
		if st.Ref == nil {
			continue
		}
		field := fmt.Sprintf("spec.steps[%d]", i)
		a, ok := actions[st.Ref.Name]
		if !ok || a == nil {
			return nil, fmt.Errorf("%s.ref: StepAction %q not found", field, st.Ref.Name)
		}
		a = a.DeepCopy()
		vals, rewrites, err := actionValues(field, st, a, task)
		if err != nil {
			return nil, err
		}
		inlined := windlassv1.Step{
			Name: st.Name, DisplayName: st.DisplayName, EnvFrom: st.EnvFrom, ComputeResources: st.ComputeResources,
			ImagePullPolicy: st.ImagePullPolicy, OnError: st.OnError, Timeout: st.Timeout,
			StdoutConfig: st.StdoutConfig, StderrConfig: st.StderrConfig, Workspaces: st.Workspaces,
			Image: a.Image, Command: a.Command, Args: a.Args, Script: a.Script, Env: a.Env,
			WorkingDir: a.WorkingDir, SecurityContext: st.SecurityContext, VolumeMounts: a.VolumeMounts, Results: a.Results,
		}
		if a.SecurityContext != nil {
			inlined.SecurityContext = a.SecurityContext
		}
		rewriteIndexes(&inlined, rewrites)
		s := &subst{v: vals}
		s.container(fmt.Sprintf("%s (StepAction %q)", field, st.Ref.Name), containerFields{&inlined.Image, &inlined.Command, &inlined.Args,
			&inlined.Script, &inlined.WorkingDir, inlined.Env, nil, inlined.VolumeMounts})
		if s.err != nil {
			return nil, s.err
		}
		*st = inlined
	}
	return out, nil
}

// actionValues binds a step's params to its StepAction's. rewrites maps an
// array param bound to a step result to that result's reference, for its
// indexed uses ($(params.P[N]) becomes $(steps.S.results.R[N])).
func actionValues(field string, st *windlassv1.Step, a *windlassv1.StepActionSpec, task substitute.Values) (substitute.Values, map[string]contract.StepResultRef, error) {
	declared := map[string]windlassv1.ParamSpec{}
	for _, d := range a.Params {
		declared[d.Name] = d
	}
	given := map[string]windlassv1.ParamValue{}
	for j, p := range st.Params {
		pf := fmt.Sprintf("%s.params[%d] (%s)", field, j, p.Name)
		if _, ok := declared[p.Name]; !ok {
			return substitute.Values{}, nil, fmt.Errorf("%s: the StepAction %q declares no param %q (declared: %s)", pf, st.Ref.Name, p.Name, names(a.Params))
		}
		v, err := taskValue(pf, p.Value, task)
		if err != nil {
			return substitute.Values{}, nil, err
		}
		given[p.Name] = v
	}
	vals := substitute.Values{Roots: []string{"params"}, Strings: map[string]string{}, Arrays: map[string][]string{}, Objects: map[string]map[string]string{}}
	rewrites := map[string]contract.StepResultRef{}
	var missing []string
	for _, d := range a.Params {
		key := "params." + d.Name
		pf := fmt.Sprintf("%s.params (%s)", field, d.Name)
		v, ok := given[d.Name]
		if ref, isRef := wholeStepResult(v); ok && isRef {
			switch d.EffectiveType() {
			case windlassv1.ParamTypeArray:
				vals.Arrays[key] = []string{fmt.Sprintf("$(steps.%s.results.%s[*])", ref.Step, ref.Result)}
				rewrites[d.Name] = ref
			case windlassv1.ParamTypeObject:
				obj := map[string]string{}
				for k := range d.Properties {
					obj[k] = fmt.Sprintf("$(steps.%s.results.%s.%s)", ref.Step, ref.Result, k)
				}
				vals.Objects[key] = obj
			default:
				vals.Strings[key] = v.StringVal
			}
			continue
		}
		if ok && v.Type != d.EffectiveType() && v.Type == windlassv1.ParamTypeString && d.Default != nil {
			// Tekton leaves such a value (e.g. $(params.s[*]) of a string
			// param given to an object param) unused: the default applies.
			ok = false
		}
		switch {
		case !ok && d.Default == nil:
			missing = append(missing, d.Name)
			continue
		case !ok:
			v = *d.Default.DeepCopy()
		case d.EffectiveType() == windlassv1.ParamTypeObject && d.Default != nil && v.Type == windlassv1.ParamTypeObject:
			v = mergeObject(*d.Default, v) // keys the step leaves out keep the StepAction's defaults
		}
		if err := checkValue(pf, d, v, false); err != nil {
			return substitute.Values{}, nil, err
		}
		AddValue(vals, key, v)
	}
	if len(missing) > 0 {
		return substitute.Values{}, nil, fmt.Errorf("%s.params: %s required by the StepAction %q (no default) but not set by the step", field, quoteList(missing), st.Ref.Name)
	}
	// $(results.R.path): the Task's results, and those the StepAction
	// declares (Tekton's older form of its step results: written to the
	// results directory, a Task result when the Task declares it too).
	vals.Roots = append(vals.Roots, "results")
	for k, s := range task.Strings {
		if strings.HasPrefix(k, "results.") {
			vals.Strings[k] = s
		}
	}
	for _, r := range a.Results {
		if key := "results." + r.Name + ".path"; vals.Strings[key] == "" {
			vals.Strings[key] = path.Join(contract.ResultsDir, r.Name)
		}
	}
	return vals, rewrites, nil
}

// taskValue resolves the Task's references in a step's param value. A
// string that is one reference to a whole array or object ($(params.a[*]),
// $(params.o[*]), $(params.a)) becomes that value; $(params.s[*]) of a
// string is left as written, as Tekton does.
func taskValue(field string, v windlassv1.ParamValue, task substitute.Values) (windlassv1.ParamValue, error) {
	switch v.Type {
	case windlassv1.ParamTypeArray:
		items, err := task.List(field+".value", v.ArrayVal)
		return windlassv1.ParamValue{Type: windlassv1.ParamTypeArray, ArrayVal: items}, err
	case windlassv1.ParamTypeObject:
		obj := make(map[string]string, len(v.ObjectVal))
		for k, s := range v.ObjectVal {
			r, err := task.String(fmt.Sprintf("%s.value.%s", field, k), s)
			if err != nil {
				return v, err
			}
			obj[k] = r
		}
		return windlassv1.ParamValue{Type: windlassv1.ParamTypeObject, ObjectVal: obj}, nil
	}
	t := strings.TrimSpace(v.StringVal)
	if strings.HasPrefix(t, "$(") && strings.HasSuffix(t, ")") && strings.Count(t, "$(") == 1 {
		inner := substitute.Canonical(strings.TrimSpace(t[2 : len(t)-1]))
		key, star := strings.CutSuffix(inner, "[*]")
		if a, ok := task.Arrays[key]; ok {
			return *windlassv1.NewArray(a...), nil
		}
		if o, ok := task.Objects[key]; ok {
			return *windlassv1.NewObject(o), nil
		}
		if _, ok := task.Strings[key]; ok && star {
			return v, nil
		}
	}
	s, err := task.String(field+".value", v.StringVal)
	return windlassv1.ParamValue{Type: windlassv1.ParamTypeString, StringVal: s}, err
}

// wholeStepResult reports whether v is exactly one step result reference.
func wholeStepResult(v windlassv1.ParamValue) (contract.StepResultRef, bool) {
	if v.Type != windlassv1.ParamTypeString && v.Type != "" {
		return contract.StepResultRef{}, false
	}
	refs := contract.StepResultRefs(v.StringVal)
	if len(refs) != 1 || refs[0].Text != strings.TrimSpace(v.StringVal) || refs[0].Index >= 0 || refs[0].Key != "" {
		return contract.StepResultRef{}, false
	}
	return refs[0], true
}

// rewriteIndexes turns $(params.P[N]) of an array param P bound to a step
// result into $(steps.S.results.R[N]) in the command line and env.
func rewriteIndexes(st *windlassv1.Step, rewrites map[string]contract.StepResultRef) {
	for p, ref := range rewrites {
		re := regexp.MustCompile(`\$\(\s*params\.` + regexp.QuoteMeta(p) + `\[([0-9]+)\]\s*\)`)
		repl := fmt.Sprintf("$$(steps.%s.results.%s[$1])", ref.Step, ref.Result)
		for i := range st.Command {
			st.Command[i] = re.ReplaceAllString(st.Command[i], repl)
		}
		for i := range st.Args {
			st.Args[i] = re.ReplaceAllString(st.Args[i], repl)
		}
		for i := range st.Env {
			st.Env[i].Value = re.ReplaceAllString(st.Env[i].Value, repl)
		}
	}
}

// CheckStepResults checks the step result references of an inlined spec:
// $(steps.<s>.results.<r>) only in a later step's command, args and env
// (the entrypoint resolves them there), naming an earlier step and a
// result it declares; a Task result's value only as one such reference.
func CheckStepResults(spec *windlassv1.TaskSpec) error {
	declared := map[string][]string{} // step name -> results
	for i, st := range spec.Steps {
		f := fmt.Sprintf("spec.steps[%d]", i)
		check := func(field, s string) error {
			for _, r := range contract.StepResultRefs(s) {
				if err := checkRef(field, r, declared); err != nil {
					return err
				}
			}
			return nil
		}
		for j, c := range st.Command {
			if err := check(fmt.Sprintf("%s.command[%d]", f, j), c); err != nil {
				return err
			}
		}
		for j, c := range st.Args {
			if err := check(fmt.Sprintf("%s.args[%d]", f, j), c); err != nil {
				return err
			}
		}
		for j, e := range st.Env {
			if err := check(fmt.Sprintf("%s.env[%d].value", f, j), e.Value); err != nil {
				return err
			}
		}
		for _, o := range []struct{ name, s string }{{"image", st.Image}, {"script", st.Script}, {"workingDir", st.WorkingDir}} {
			if refs := contract.StepResultRefs(o.s); len(refs) > 0 {
				return fmt.Errorf("%s.%s: %s: step results can be used only in command, args and env (pass it to the script through env)", f, o.name, refs[0].Text)
			}
		}
		if len(st.Results) == 0 {
			text := strings.Join(append(append(append([]string{st.Script}, st.Command...), st.Args...), envText(st)...), "\n")
			if m := ownResultPattern.FindString(text); m != "" {
				return fmt.Errorf("%s: %s: the step declares no results (add them to its results)", f, m)
			}
		}
		if st.Name != "" {
			declared[st.Name] = []string{}
			for _, r := range st.Results {
				declared[st.Name] = append(declared[st.Name], r.Name)
			}
		}
	}
	for k, r := range spec.Results {
		if r.Value == nil {
			continue
		}
		ref, err := ResultFromStep(r)
		if err != nil {
			return fmt.Errorf("spec.results[%d].value: %w", k, err)
		}
		if err := checkRef(fmt.Sprintf("spec.results[%d].value", k), ref, declared); err != nil {
			return err
		}
	}
	return nil
}

// ResultFromStep is the step result a Task result's value names.
func ResultFromStep(r windlassv1.TaskResult) (contract.StepResultRef, error) {
	v := r.Value
	if v.Type != windlassv1.ParamTypeString && v.Type != "" {
		return contract.StepResultRef{}, fmt.Errorf("want a string, $(steps.<step>.results.<result>)")
	}
	refs := contract.StepResultRefs(v.StringVal)
	if len(refs) != 1 || refs[0].Text != strings.TrimSpace(v.StringVal) || refs[0].Index >= 0 || refs[0].Key != "" {
		return contract.StepResultRef{}, fmt.Errorf("%q: want exactly $(steps.<step>.results.<result>)", v.StringVal)
	}
	return refs[0], nil
}

func checkRef(field string, r contract.StepResultRef, declared map[string][]string) error {
	results, ok := declared[r.Step]
	if !ok {
		return fmt.Errorf("%s: %s: no step %q runs before it", field, r.Text, r.Step)
	}
	for _, n := range results {
		if n == r.Result {
			return nil
		}
	}
	return fmt.Errorf("%s: %s: step %q declares no result %q (declared: %s)", field, r.Text, r.Step, r.Result, orNone(results))
}

// ownResultPattern finds $(step.results.<r>.path).
var ownResultPattern = regexp.MustCompile(`\$\(\s*step\.results\.[^()]*\)`)

func envText(st windlassv1.Step) []string {
	out := make([]string, len(st.Env))
	for i, e := range st.Env {
		out[i] = e.Value
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
