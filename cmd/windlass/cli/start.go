package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/params"
	"github.com/windlass-dev/windlass/internal/cli/view"
)

// runFlags are how a run is started and what happens after.
type runFlags struct {
	params, workspaces []string
	serviceAccount     string
	timeout            time.Duration
	useDefaults        bool
	showlog, wait      bool
	output             string
	file               string
}

const paramHelp = `Params (-p, repeatable):
  -p name=value            a string
  -p list=a,b,c            an array param: the value split at commas
  -p list=a -p list=b      an array param, one item per flag
  -p 'list=["a,1","b"]'    an array param as a JSON array (items with commas)
  -p obj.key=value         one key of an object param (repeat for more keys)
  -p 'obj={"k":"v"}'       an object param as a JSON object
Every declared param must be given unless --use-param-defaults lets those with
a default take it. An unknown param, a bad value or a missing one is exit code 2.

Workspaces (-w, repeatable):
`

// bind adds the flags of what happens after a run is created; with start,
// also those that make the run.
func (f *runFlags) bind(cmd *cobra.Command, start bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.showlog, "showlog", false, "follow the run's logs to its end and exit with its outcome (0 succeeded, 1 failed, 3 timed out)")
	fl.BoolVar(&f.wait, "wait", false, "wait for the run to end (progress on stderr) and exit with its outcome")
	fl.StringVarP(&f.output, "output", "o", "", "print the created run as yaml, json or name (default: its bare name)")
	if start {
		fl.StringArrayVarP(&f.params, "param", "p", nil, "a param: NAME=VALUE, LIST=a,b, OBJ.KEY=VALUE (see above)")
		fl.StringArrayVarP(&f.workspaces, "workspace", "w", nil, "a workspace: name=WS,claimName=PVC|emptyDir=|volumeClaimTemplateFile=F|config=CM|secret=S[,subPath=DIR]")
		fl.StringVarP(&f.serviceAccount, "serviceaccount", "s", "", "the service account the run's pods run as")
		fl.DurationVar(&f.timeout, "timeout", 0, "the run's timeout (e.g. 10m; default: the controller's, 1h)")
		fl.BoolVar(&f.useDefaults, "use-param-defaults", false, "let params that are not given take their declared defaults")
	}
}

func (e *env) startCmd() *cobra.Command {
	var f runFlags
	start := &cobra.Command{
		Use:   "start (pipeline|task) NAME | start -f FILE",
		Short: "Start a Pipeline or Task (or the run, Pipeline or Task in a YAML file)",
		Long: `Start a Pipeline or a Task: create a PipelineRun or TaskRun for it and print its name.

  windlass start pipeline build -p revision=main -w name=src,emptyDir= --showlog
  windlass start task unit-test -p packages=./...,./cmd/... --wait
  windlass start -f run.yaml -p revision=v1.2.0

` + paramHelp + indent(params.WorkspaceHelp, "  "),
		Args: args(0, "no arguments besides -f FILE (or use 'start pipeline|task NAME')"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.file == "" {
				return exit.UsageError("give 'start pipeline NAME', 'start task NAME' or 'start -f FILE'")
			}
			return e.startFile(cmd.Context(), &f)
		},
	}
	f.bind(start, true)
	start.Flags().StringVarP(&f.file, "filename", "f", "", "a YAML file with a PipelineRun, TaskRun, Pipeline or Task to run")
	for _, kind := range []string{"pipeline", "task"} {
		sub := &cobra.Command{
			Use:               kind + " NAME",
			Short:             "Start the " + kind + " NAME",
			Long:              "Start the " + kind + " NAME of the namespace.\n\n" + paramHelp + indent(params.WorkspaceHelp, "  "),
			Args:              args(1, "the name of the "+kind),
			ValidArgsFunction: e.complete(map[string]bool{"pipeline": kind == "pipeline", "task": kind == "task"}),
			RunE: func(cmd *cobra.Command, a []string) error {
				return e.startNamed(cmd.Context(), kind, a[0], &f)
			},
		}
		f.bind(sub, true)
		start.AddCommand(sub)
	}
	return start
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by) + "\n"
}

// startNamed starts the Pipeline or Task NAME of the namespace.
func (e *env) startNamed(ctx context.Context, kind, name string, f *runFlags) error {
	if err := syntax(f); err != nil {
		return err
	}
	c, err := e.clients()
	if err != nil {
		return err
	}
	meta := metav1.ObjectMeta{Namespace: c.ns, GenerateName: name + "-run-"}
	if kind == "pipeline" {
		p := &windlassv1.Pipeline{}
		if err := c.crc.Get(ctx, client.ObjectKey{Namespace: c.ns, Name: name}, p); err != nil {
			return notFoundIsUsage(err, "Pipeline", name, c.ns)
		}
		pr := &windlassv1.PipelineRun{ObjectMeta: meta, Spec: windlassv1.PipelineRunSpec{PipelineRef: &windlassv1.PipelineRef{Name: name}}}
		return e.createPipelineRun(ctx, pr, &p.Spec, f)
	}
	t := &windlassv1.Task{}
	if err := c.crc.Get(ctx, client.ObjectKey{Namespace: c.ns, Name: name}, t); err != nil {
		return notFoundIsUsage(err, "Task", name, c.ns)
	}
	tr := &windlassv1.TaskRun{ObjectMeta: meta, Spec: windlassv1.TaskRunSpec{TaskRef: &windlassv1.TaskRef{Name: name}}}
	return e.createTaskRun(ctx, tr, &t.Spec, f)
}

func notFoundIsUsage(err error, kind, name, ns string) error {
	if apierrors.IsNotFound(err) {
		return exit.UsageError("there is no %s %q in namespace %s", kind, name, ns)
	}
	return err
}

// startFile starts what a YAML file holds: a run as written (with -p and
// -w replacing its bindings), or a Pipeline or Task embedded in a new run.
func (e *env) startFile(ctx context.Context, f *runFlags) error {
	if err := syntax(f); err != nil {
		return err
	}
	c, err := e.clients()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(f.file)
	if err != nil {
		return exit.WithCode(exit.Usage, err)
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return exit.UsageError("%s: %v", f.file, err)
	}
	if tm.APIVersion != windlassv1.GroupVersion.String() {
		return exit.UsageError("%s: apiVersion %q: want %s", f.file, tm.APIVersion, windlassv1.GroupVersion)
	}
	ns := c.ns
	place := func(m *metav1.ObjectMeta, fallback string) error {
		if m.Namespace != "" && e.kube.namespace == "" {
			ns = m.Namespace
		}
		m.Namespace = ns
		if m.Name == "" && m.GenerateName == "" {
			if fallback == "" {
				return exit.UsageError("%s: metadata.name or metadata.generateName is required", f.file)
			}
			m.GenerateName = fallback
		}
		return nil
	}
	strict := func(obj any) error {
		if err := yaml.UnmarshalStrict(data, obj); err != nil {
			return exit.UsageError("%s: %v", f.file, err)
		}
		return nil
	}
	switch tm.Kind {
	case "PipelineRun":
		pr := &windlassv1.PipelineRun{}
		if err := strict(pr); err != nil {
			return err
		}
		if err := place(&pr.ObjectMeta, ""); err != nil {
			return err
		}
		spec := pr.Spec.PipelineSpec
		if ref := pr.Spec.PipelineRef; ref != nil {
			p := &windlassv1.Pipeline{}
			if err := c.crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, p); err != nil {
				return notFoundIsUsage(err, "Pipeline", ref.Name, ns)
			}
			spec = &p.Spec
		}
		return e.createPipelineRun(ctx, pr, spec, f)
	case "TaskRun":
		tr := &windlassv1.TaskRun{}
		if err := strict(tr); err != nil {
			return err
		}
		if err := place(&tr.ObjectMeta, ""); err != nil {
			return err
		}
		spec := tr.Spec.TaskSpec
		if ref := tr.Spec.TaskRef; ref != nil && ref.Name != "" {
			t := &windlassv1.Task{}
			if err := c.crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, t); err != nil {
				return notFoundIsUsage(err, "Task", ref.Name, ns)
			}
			spec = &t.Spec
		}
		return e.createTaskRun(ctx, tr, spec, f)
	case "Pipeline":
		p := &windlassv1.Pipeline{}
		if err := strict(p); err != nil {
			return err
		}
		pr := &windlassv1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace}, Spec: windlassv1.PipelineRunSpec{PipelineSpec: &p.Spec}}
		if err := place(&pr.ObjectMeta, p.Name+"-run-"); err != nil {
			return err
		}
		return e.createPipelineRun(ctx, pr, &p.Spec, f)
	case "Task":
		t := &windlassv1.Task{}
		if err := strict(t); err != nil {
			return err
		}
		tr := &windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace}, Spec: windlassv1.TaskRunSpec{TaskSpec: &t.Spec}}
		if err := place(&tr.ObjectMeta, t.Name+"-run-"); err != nil {
			return err
		}
		return e.createTaskRun(ctx, tr, &t.Spec, f)
	}
	return exit.UsageError("%s: kind %q: want PipelineRun, TaskRun, Pipeline or Task", f.file, tm.Kind)
}

// syntax checks the flags before the cluster is asked anything.
func syntax(f *runFlags) error {
	if err := view.CheckFormat(f.output, view.FormatYAML, view.FormatJSON, view.FormatName); err != nil {
		return exit.WithCode(exit.Usage, err)
	}
	if _, err := params.Bind(f.params, nil, params.Options{}); err != nil {
		return exit.WithCode(exit.Usage, err)
	}
	if _, err := params.Workspaces(f.workspaces, nil, nil, os.ReadFile); err != nil {
		return exit.WithCode(exit.Usage, err)
	}
	if f.showlog && f.wait {
		return exit.UsageError("--showlog and --wait: pick one")
	}
	return nil
}

// declared are the params and workspaces a spec declares; nil when the
// spec is not known (then -p and -w are not checked against it).
type declared struct {
	params     []windlassv1.ParamSpec
	workspaces []params.Declared
}

// bindings turns -p and -w into the run's params and workspaces, checked
// against the declarations when they are known.
func bindings(f *runFlags, d *declared, ps []windlassv1.Param, wb []windlassv1.WorkspaceBinding) ([]windlassv1.Param, []windlassv1.WorkspaceBinding, error) {
	if err := view.CheckFormat(f.output, view.FormatYAML, view.FormatJSON, view.FormatName); err != nil {
		return nil, nil, exit.WithCode(exit.Usage, err)
	}
	o := params.Options{UseDefaults: f.useDefaults || f.file != "", Given: ps}
	var decl []windlassv1.ParamSpec
	var ws []params.Declared
	if d != nil {
		decl, ws = d.params, append([]params.Declared{}, d.workspaces...)
	}
	outP, err := params.Bind(f.params, decl, o)
	if err != nil {
		return nil, nil, exit.WithCode(exit.Usage, err)
	}
	outW, err := params.Workspaces(f.workspaces, ws, wb, os.ReadFile)
	if err != nil {
		return nil, nil, exit.WithCode(exit.Usage, err)
	}
	return outP, outW, nil
}

func (e *env) createPipelineRun(ctx context.Context, pr *windlassv1.PipelineRun, spec *windlassv1.PipelineSpec, f *runFlags) error {
	var d *declared
	if spec != nil {
		d = &declared{params: spec.Params}
		for _, w := range spec.Workspaces {
			d.workspaces = append(d.workspaces, params.Declared{Name: w.Name, Optional: w.Optional})
		}
	}
	var err error
	if pr.Spec.Params, pr.Spec.Workspaces, err = bindings(f, d, pr.Spec.Params, pr.Spec.Workspaces); err != nil {
		return err
	}
	if f.serviceAccount != "" {
		if pr.Spec.TaskRunTemplate == nil {
			pr.Spec.TaskRunTemplate = &windlassv1.PipelineTaskRunTemplate{}
		}
		pr.Spec.TaskRunTemplate.ServiceAccountName = f.serviceAccount
	}
	if f.timeout != 0 {
		if pr.Spec.Timeouts == nil {
			pr.Spec.Timeouts = &windlassv1.TimeoutFields{}
		}
		pr.Spec.Timeouts.Pipeline = &metav1.Duration{Duration: f.timeout}
	}
	return e.create(ctx, kindPipelineRun, pr, f)
}

func (e *env) createTaskRun(ctx context.Context, tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec, f *runFlags) error {
	var d *declared
	if spec != nil {
		d = &declared{params: spec.Params}
		for _, w := range spec.Workspaces {
			d.workspaces = append(d.workspaces, params.Declared{Name: w.Name, Optional: w.Optional})
		}
	}
	var err error
	if tr.Spec.Params, tr.Spec.Workspaces, err = bindings(f, d, tr.Spec.Params, tr.Spec.Workspaces); err != nil {
		return err
	}
	if f.serviceAccount != "" {
		tr.Spec.ServiceAccountName = f.serviceAccount
	}
	if f.timeout != 0 {
		tr.Spec.Timeout = &metav1.Duration{Duration: f.timeout}
	}
	return e.create(ctx, kindTaskRun, tr, f)
}

// create makes the run and follows it as the flags ask.
func (e *env) create(ctx context.Context, kind string, obj view.Object, f *runFlags) error {
	c, err := e.clients()
	if err != nil {
		return err
	}
	if err := c.crc.Create(ctx, obj); err != nil {
		return invalidIsUsage(err)
	}
	return e.started(ctx, run{kind: kind, ns: obj.GetNamespace(), name: obj.GetName()}, obj, f)
}

// invalidIsUsage makes the API server's rejection of a spec a usage error.
func invalidIsUsage(err error) error {
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return exit.WithCode(exit.Usage, err)
	}
	return err
}

// started prints the new run and follows or waits for it when asked.
func (e *env) started(ctx context.Context, r run, obj view.Object, f *runFlags) error {
	if f.output == "" {
		fmt.Fprintln(e.out, r.name)
	} else if err := view.PrintObjects(e.out, f.output, r.gvk(), []view.Object{obj}); err != nil {
		return err
	}
	switch {
	case f.showlog:
		return e.followToEnd(ctx, r, logOptions{follow: true})
	case f.wait:
		return e.waitRun(ctx, r, 0)
	}
	return nil
}
