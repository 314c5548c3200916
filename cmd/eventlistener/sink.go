package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/triggers"
)

// sink serves one EventListener.
type sink struct {
	name, namespace string
	scope           scope

	objects  client.Reader // Triggers, bindings, templates, interceptors: read from informers
	writer   client.Client // creates the rendered objects
	reader   client.Reader // uncached reads (an object that already exists)
	secrets  *secretCache
	recorder events.EventRecorder
	external *http.Client // external interceptors

	maxBodyBytes   int64
	requestTimeout time.Duration
	log            logr.Logger

	readyOnce sync.Once
	ready     chan struct{}
}

// Answer is the JSON body of every answer to an event.
type Answer struct {
	EventListener string `json:"eventListener"`
	Namespace     string `json:"namespace"`
	// EventID is the event's identity (a digest of its type and body): the same
	// for a redelivery of the same event.
	EventID  string          `json:"eventID,omitempty"`
	Delivery string          `json:"delivery,omitempty"`
	Message  string          `json:"message,omitempty"`
	Triggers []TriggerAnswer `json:"triggers,omitempty"`
}

// TriggerAnswer is what one trigger did with the event.
type TriggerAnswer struct {
	Name    string      `json:"name"`
	Outcome Outcome     `json:"outcome"`
	Code    int         `json:"code"`
	Message string      `json:"message,omitempty"`
	Objects []ObjectRef `json:"objects,omitempty"`
}

// ObjectRef names an object a trigger created (or found already created for this event).
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

// Outcome is what happened to an event in one trigger.
type Outcome string

// The outcomes, each with the HTTP status it answers alone.
const (
	OutcomeCreated   Outcome = "created"   // 201: the trigger created its objects
	OutcomeDuplicate Outcome = "duplicate" // 200: this event already created them
	OutcomeFiltered  Outcome = "filtered"  // 200: the event is not for this trigger
	OutcomeRejected  Outcome = "rejected"  // 401/403: signature or token missing or wrong
	OutcomeInvalid   Outcome = "invalid"   // 422: the event or the rendered objects are not valid
	OutcomeConflict  Outcome = "conflict"  // 409: an object of that name exists, made by another event
	OutcomeForbidden Outcome = "forbidden" // 403: the listener's service account may not create an object
	OutcomeError     Outcome = "error"     // 500/503: the trigger's configuration is wrong, or a dependency is down
)

func (s *sink) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.ready:
			_, _ = io.WriteString(w, "ok")
		default:
			http.Error(w, "informer caches not synced", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/", s.serveEvent)
	return mux
}

// serveEvent handles one webhook.
func (s *sink) serveEvent(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ans := Answer{EventListener: s.name, Namespace: s.namespace}
	code := s.handle(r, &ans)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(ans)
	observe(code, &ans, time.Since(start))
	log := s.log.WithValues("code", code, "eventID", ans.EventID, "delivery", ans.Delivery, "duration", time.Since(start).String())
	for _, t := range ans.Triggers {
		log.Info("Trigger", "trigger", t.Name, "outcome", t.Outcome, "message", t.Message, "objects", len(t.Objects))
	}
	if len(ans.Triggers) == 0 {
		log.Info("Event", "message", ans.Message)
	}
}

// handle checks the request, then runs every trigger. It fills ans and returns the HTTP status.
func (s *sink) handle(r *http.Request, ans *Answer) int {
	if r.Method != http.MethodPost {
		ans.Message = fmt.Sprintf("method %s is not allowed: send events with POST", r.Method)
		return http.StatusMethodNotAllowed
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			ans.Message = fmt.Sprintf("content type %q is not supported: send application/json", ct)
			return http.StatusUnsupportedMediaType
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			ans.Message = fmt.Sprintf("the body is larger than %d bytes (the EventListener's spec.maxBodyBytes)", s.maxBodyBytes)
			return http.StatusRequestEntityTooLarge
		}
		ans.Message = fmt.Sprintf("reading the body: %v", err)
		return http.StatusBadRequest
	}
	body, err := triggers.DecodeBody(raw)
	if err != nil {
		ans.Message = fmt.Sprintf("the body is not JSON: %v", err)
		return http.StatusBadRequest
	}
	id := triggers.Identify(r.Header, raw)
	ans.EventID, ans.Delivery = id.Digest, id.Delivery
	select {
	case <-s.ready:
	default:
		ans.Message = "the listener is starting: its caches are not synced yet"
		return http.StatusServiceUnavailable
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
	defer cancel()
	list, err := s.triggers(ctx)
	if err != nil {
		ans.Message = err.Error()
		return http.StatusServiceUnavailable
	}
	if len(list) == 0 {
		ans.Message = "the EventListener has no triggers"
		return http.StatusOK
	}
	ev := triggers.Event{Body: body, RawBody: raw, Header: r.Header, Extensions: map[string]any{}}
	for _, t := range list {
		ans.Triggers = append(ans.Triggers, s.runTrigger(ctx, t, ev, id, requestURL(r)))
	}
	s.recordEvent(ans)
	return overall(ans.Triggers)
}

// overall is the answer's status: 201 when a trigger created objects, else 200
// when one found its objects already created; else the worst failure; 200 when
// every trigger filtered the event out.
func overall(ts []TriggerAnswer) int {
	has := func(o Outcome) bool {
		for _, t := range ts {
			if t.Outcome == o {
				return true
			}
		}
		return false
	}
	switch {
	case has(OutcomeCreated):
		return http.StatusCreated
	case has(OutcomeDuplicate):
		return http.StatusOK
	}
	worst := http.StatusOK
	for _, t := range ts {
		if t.Outcome != OutcomeFiltered && severity(t.Code) > severity(worst) {
			worst = t.Code
		}
	}
	return worst
}

// severity orders failures: a server-side problem first (the operator must
// act), then the event's content, then its authentication.
func severity(code int) int {
	switch code {
	case http.StatusOK:
		return 0
	case http.StatusUnauthorized:
		return 1
	case http.StatusForbidden:
		return 2
	case http.StatusConflict:
		return 3
	case http.StatusUnprocessableEntity:
		return 4
	case http.StatusServiceUnavailable:
		return 5
	default:
		return 6
	}
}

func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// recordEvent leaves a Kubernetes Event on the EventListener for what failed
// (never the body, never a secret). Success leaves none: the created object,
// labelled with the listener, trigger and delivery, is the record, and an
// Event per webhook would add an API write to every one of them.
func (s *sink) recordEvent(ans *Answer) {
	if !slices.ContainsFunc(ans.Triggers, func(t TriggerAnswer) bool { return warn(t.Outcome) }) {
		return
	}
	el := &triggersv1.EventListener{}
	el.Name, el.Namespace = s.name, s.namespace
	if err := s.objects.Get(context.Background(), client.ObjectKeyFromObject(el), el); err != nil {
		return
	}
	for _, t := range ans.Triggers {
		if warn(t.Outcome) {
			s.recorder.Eventf(el, nil, "Warning", "Trigger"+strings.ToUpper(string(t.Outcome[:1]))+string(t.Outcome[1:]), "Trigger",
				"trigger %s, delivery %s: %s", t.Name, orNone(ans.Delivery), t.Message)
		}
	}
}

// warn says which outcomes leave a Warning Event: failures of the listener's
// configuration or of creating. Not rejected events: a flood of forged
// requests must cost the API server nothing (they are logged and counted).
func warn(o Outcome) bool {
	return o == OutcomeInvalid || o == OutcomeConflict || o == OutcomeForbidden || o == OutcomeError
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
