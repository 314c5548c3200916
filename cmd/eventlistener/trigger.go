package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/interceptors"
	"github.com/windlass-dev/windlass/internal/triggers"
)

// runTrigger takes the event through one trigger: interceptors, bindings,
// template, create.
func (s *sink) runTrigger(ctx context.Context, t trigger, ev triggers.Event, id triggers.Identity, url string) TriggerAnswer {
	ans := TriggerAnswer{Name: t.name}
	fail := func(o Outcome, code int, format string, args ...any) TriggerAnswer {
		ans.Outcome, ans.Code, ans.Message = o, code, fmt.Sprintf(format, args...)
		return ans
	}
	if t.err != nil {
		return fail(OutcomeError, http.StatusInternalServerError, "%v", t.err)
	}
	ev.Extensions = maps.Clone(ev.Extensions)
	for i, ic := range t.interceptors {
		res := s.intercept(ctx, t, i, ic, &ev, id, url)
		if res.Code == interceptors.OK {
			ev.Extensions = interceptors.MergeExtensions(ev.Extensions, res.Extensions)
			continue
		}
		o, code := interceptorOutcome(res.Code)
		return fail(o, code, "interceptors[%d] (%s): %s", i, interceptorName(ic), res.Message)
	}
	params, err := s.bindingParams(ctx, t)
	if err != nil {
		return fail(OutcomeError, http.StatusInternalServerError, "%v", err)
	}
	bound, err := triggers.BindParams(params, ev)
	if err != nil {
		return fail(OutcomeInvalid, http.StatusUnprocessableEntity, "bindings: %v", err)
	}
	spec, err := s.templateSpec(ctx, t)
	if err != nil {
		return fail(OutcomeError, http.StatusInternalServerError, "%v", err)
	}
	complete, _, err := triggers.ApplyTemplateParams(spec.Params, bound)
	if err != nil {
		return fail(OutcomeInvalid, http.StatusUnprocessableEntity, "template: %v", err)
	}
	objs, err := triggers.Render(triggers.RenderInput{
		Templates: spec.ResourceTemplates, Params: complete, Declared: spec.Params, Identity: id,
		Listener: s.name, Namespace: t.namespace, Trigger: t.name,
	})
	if err != nil {
		return fail(OutcomeInvalid, http.StatusUnprocessableEntity, "template: %v", err)
	}
	created := false
	for i, obj := range objs {
		ref := ObjectRef{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		isNew, err := s.createOnce(ctx, obj, id)
		if err != nil {
			o, code := createOutcome(err)
			return fail(o, code, "resourcetemplates[%d]: creating %s %s/%s: %v", i, ref.Kind, ref.Namespace, ref.Name, err)
		}
		created = created || isNew
		ans.Objects = append(ans.Objects, ref)
	}
	ans.Outcome, ans.Code = OutcomeDuplicate, http.StatusOK
	ans.Message = "this event already created these objects"
	if created {
		ans.Outcome, ans.Code, ans.Message = OutcomeCreated, http.StatusCreated, ""
	}
	return ans
}

// errOtherEvent: an object of the rendered name exists but another event made it.
var errOtherEvent = errors.New("an object of that name exists and was not created by this event")

// createOnce creates obj unless this event already did: names derive from the
// event, so an existing object carrying this event's digest is the same work.
// It reports whether it created obj.
func (s *sink) createOnce(ctx context.Context, obj *unstructured.Unstructured, id triggers.Identity) (bool, error) {
	err := s.writer.Create(ctx, obj)
	if err == nil {
		return true, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return false, err
	}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(obj.GroupVersionKind())
	if err := s.reader.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return false, fmt.Errorf("it exists, but reading it failed: %w", err)
	}
	if existing.GetAnnotations()[triggers.AnnotationEvent] != id.Digest {
		return false, errOtherEvent
	}
	return false, nil
}

func createOutcome(err error) (Outcome, int) {
	switch {
	case errors.Is(err, errOtherEvent):
		return OutcomeConflict, http.StatusConflict
	case apierrors.IsForbidden(err):
		return OutcomeForbidden, http.StatusForbidden
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return OutcomeInvalid, http.StatusUnprocessableEntity
	case apierrors.IsNotFound(err):
		// the kind is not served, or the namespace does not exist
		return OutcomeInvalid, http.StatusUnprocessableEntity
	}
	return OutcomeError, http.StatusInternalServerError
}

func interceptorOutcome(c interceptors.Code) (Outcome, int) {
	switch c {
	case interceptors.Filtered:
		return OutcomeFiltered, http.StatusOK
	case interceptors.Unauthenticated:
		return OutcomeRejected, http.StatusUnauthorized
	case interceptors.PermissionDenied:
		return OutcomeRejected, http.StatusForbidden
	case interceptors.InvalidArgument:
		return OutcomeInvalid, http.StatusUnprocessableEntity
	case interceptors.Unavailable:
		return OutcomeError, http.StatusServiceUnavailable
	}
	return OutcomeError, http.StatusInternalServerError
}

func interceptorName(ic *triggersv1.TriggerInterceptor) string {
	switch {
	case ic.Name != nil && *ic.Name != "":
		return *ic.Name
	case ic.Ref != nil:
		return ic.Ref.Name
	}
	return "webhook"
}

// intercept runs one interceptor: a built-in, a ClusterInterceptor, or a webhook.
func (s *sink) intercept(ctx context.Context, t trigger, i int, ic *triggersv1.TriggerInterceptor, ev *triggers.Event, id triggers.Identity, url string) interceptors.Response {
	req := &interceptors.Request{
		Body: ev.RawBody, Decoded: ev.Body, Header: ev.Header, Extensions: ev.Extensions,
		Params: map[string]json.RawMessage{}, Namespace: t.namespace, RequestURL: url,
	}
	for _, p := range ic.Params {
		req.Params[p.Name] = json.RawMessage(p.Value.Raw)
	}
	if ic.Webhook != nil {
		return s.callWebhook(ctx, t, ic.Webhook, ev)
	}
	if b := interceptors.Builtin(ic.Ref.Name, s.secrets.get); b != nil {
		return b.Process(ctx, req)
	}
	var ci triggersv1.ClusterInterceptor
	if err := s.objects.Get(ctx, client.ObjectKey{Name: ic.Ref.Name}, &ci); err != nil {
		if apierrors.IsNotFound(err) {
			return interceptors.Response{Code: interceptors.ConfigError, Message: fmt.Sprintf(
				"no interceptor %q: not built in (github, gitlab, bitbucket, cel) and no ClusterInterceptor of that name", ic.Ref.Name)}
		}
		return interceptors.Response{Code: interceptors.Unavailable, Message: fmt.Sprintf("reading ClusterInterceptor %q: %v", ic.Ref.Name, err)}
	}
	target := ""
	switch cc := ci.Spec.ClientConfig; {
	case cc.URL != nil:
		target = *cc.URL
	case cc.Service != nil:
		port := int32(80)
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		target = fmt.Sprintf("http://%s.%s.svc:%d%s", cc.Service.Name, cc.Service.Namespace, port, cc.Service.Path)
	}
	body, err := json.Marshal(interceptors.NewExternalRequest(req, id.Digest, fmt.Sprintf("namespaces/%s/triggers/%s", t.namespace, t.name)))
	if err != nil {
		return interceptors.Response{Code: interceptors.ConfigError, Message: err.Error()}
	}
	resp, err := s.post(ctx, target, body, nil)
	if err != nil {
		return interceptors.Response{Code: interceptors.Unavailable, Message: fmt.Sprintf("ClusterInterceptor %q at %s: %v", ci.Name, target, err)}
	}
	defer resp.Body.Close()
	var out interceptors.InterceptorResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, s.maxBodyBytes)).Decode(&out); err != nil {
		return interceptors.Response{Code: interceptors.Unavailable, Message: fmt.Sprintf("ClusterInterceptor %q answered %s, not an interceptor response: %v", ci.Name, resp.Status, err)}
	}
	return interceptors.FromExternal(out)
}

// callWebhook forwards the event to a webhook interceptor: it gets the body and
// headers; a 200 lets the event through with the body it answers.
func (s *sink) callWebhook(ctx context.Context, t trigger, wh *triggersv1.WebhookInterceptor, ev *triggers.Event) interceptors.Response {
	target := ""
	if wh.URL != nil {
		target = *wh.URL
	} else {
		ns := wh.ObjectRef.Namespace
		if ns == "" {
			ns = t.namespace
		}
		target = fmt.Sprintf("http://%s.%s.svc/", wh.ObjectRef.Name, ns)
	}
	h := ev.Header.Clone()
	for _, x := range wh.Header {
		h.Add(x.Name, x.Value)
	}
	resp, err := s.post(ctx, target, ev.RawBody, h)
	if err != nil {
		return interceptors.Response{Code: interceptors.Unavailable, Message: fmt.Sprintf("webhook %s: %v", target, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBodyBytes))
	if err != nil {
		return interceptors.Response{Code: interceptors.Unavailable, Message: fmt.Sprintf("webhook %s: reading the answer: %v", target, err)}
	}
	if resp.StatusCode != http.StatusOK {
		return interceptors.Response{Code: interceptors.Filtered, Message: fmt.Sprintf("webhook %s answered %s", target, resp.Status)}
	}
	body, err := triggers.DecodeBody(raw)
	if err != nil {
		return interceptors.Response{Code: interceptors.InvalidArgument, Message: fmt.Sprintf("webhook %s answered a body that is not JSON: %v", target, err)}
	}
	ev.RawBody, ev.Body = raw, body
	return interceptors.Response{Code: interceptors.OK}
}

func (s *sink) post(ctx context.Context, target string, body []byte, h http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return s.external.Do(req)
}

// bindingParams collects the params of the trigger's bindings, in order.
func (s *sink) bindingParams(ctx context.Context, t trigger) ([]triggers.Param, error) {
	var out []triggers.Param
	for i, b := range t.bindings {
		if b.Value != nil {
			out = append(out, triggers.Param{Name: b.Name, Value: *b.Value, Source: fmt.Sprintf("bindings[%d]", i)})
			continue
		}
		kind := b.Kind
		if kind == "" {
			kind = triggersv1.NamespacedTriggerBindingKind
		}
		var spec triggersv1.TriggerBindingSpec
		if b.Kind == triggersv1.ClusterTriggerBindingKind {
			var ctb triggersv1.ClusterTriggerBinding
			if err := s.objects.Get(ctx, client.ObjectKey{Name: b.Ref}, &ctb); err != nil {
				return nil, refError(fmt.Sprintf("bindings[%d].ref", i), "ClusterTriggerBinding", b.Ref, "", err)
			}
			spec = ctb.Spec
		} else {
			var tb triggersv1.TriggerBinding
			if err := s.objects.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: b.Ref}, &tb); err != nil {
				return nil, refError(fmt.Sprintf("bindings[%d].ref", i), "TriggerBinding", b.Ref, t.namespace, err)
			}
			spec = tb.Spec
		}
		for _, p := range spec.Params {
			out = append(out, triggers.Param{Name: p.Name, Value: p.Value, Source: fmt.Sprintf("%s %q", kind, b.Ref)})
		}
	}
	return out, nil
}

// templateSpec is the trigger's template: inline, or a TriggerTemplate.
func (s *sink) templateSpec(ctx context.Context, t trigger) (*triggersv1.TriggerTemplateSpec, error) {
	if t.template == nil {
		return nil, errors.New("the trigger has no template")
	}
	if t.template.Spec != nil {
		return t.template.Spec, nil
	}
	var tt triggersv1.TriggerTemplate
	if err := s.objects.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: *t.template.Ref}, &tt); err != nil {
		return nil, refError("template.ref", "TriggerTemplate", *t.template.Ref, t.namespace, err)
	}
	return &tt.Spec, nil
}

func refError(field, kind, name, ns string, err error) error {
	where := ""
	if ns != "" {
		where = " in namespace " + ns
	}
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: %s %q not found%s", field, kind, name, where)
	}
	return fmt.Errorf("%s: reading %s %q%s: %w", field, kind, name, where, err)
}
