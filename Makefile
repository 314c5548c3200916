# Windlass — make help lists the targets.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

ROOT       := $(CURDIR)
BIN        := $(ROOT)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REGISTRY   ?= 127.0.0.1:5000
GO_LDFLAGS := -s -w -X github.com/windlass-dev/windlass/internal/version.Version=$(VERSION)
K8S_BIN_DIR = $(shell hack/k8s-bins.sh)
CLUSTER_KUBECONFIG := $(shell source hack/cluster/common.sh && echo $$KUBECONFIG_PATH)
# An existing cluster: KUBECONFIG=... make demo / make test-e2e uses it instead of the local one.
E2E_KUBECONFIG ?= $(CLUSTER_KUBECONFIG)

CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT  := $(BIN)/golangci-lint

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: build
build: ## Build every binary under cmd/ into bin/; the CLI also as bin/kubectl-windlass (the kubectl plugin).
	CGO_ENABLED=0 go build -trimpath -ldflags "$(GO_LDFLAGS)" -o $(BIN)/ ./cmd/...
	cp -f $(BIN)/windlass $(BIN)/kubectl-windlass

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC into config/ (descriptions of Windlass's fields only: hack/crddocs).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:generateEmbeddedObjectMeta=true paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	go run ./hack/crddocs config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	@if compgen -G "apis/*/*/*.go" >/dev/null; then \
		$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./apis/..."; fi

.PHONY: fmt
fmt: ## gofmt the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: verify
verify: $(CONTROLLER_GEN) ## Regenerate and tidy; fail if that changes any file or a Go file is not gofmt'ed.
	hack/verify.sh

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

##@ Tests (make test runs every tier)

.PHONY: test
test: verify lint test-unit test-fuzz test-integration test-e2e ## Verify, lint, then unit, fuzz, integration and e2e tests.

.PHONY: test-unit
test-unit: ## Tier 1: pure packages.
	go test -race -count=1 $$(go list ./... | grep -v -e /test/integration -e /test/e2e)

.PHONY: test-fuzz
test-fuzz: ## A short run (FUZZTIME=8s each) of every Go fuzz target; a table of executions per target.
	hack/fuzz.sh

.PHONY: test-integration
test-integration: ## Tier 2: controllers against a real kube-apiserver + etcd (envtest).
	KUBEBUILDER_ASSETS="$(K8S_BIN_DIR)" go test -race -count=1 ./test/integration/...

.PHONY: test-e2e
test-e2e: ## Tier 3: the real local cluster (started and stopped if not already up; needs root), then the compatibility tier.
	hack/e2e-test.sh

.PHONY: test-compat
test-compat: ## The compatibility tier alone: Tekton's examples/v1 converted and run on the local cluster; table in bin/compat-report.txt. COMPAT_RUN=substring
	E2E_RUN=TestTektonExamples hack/e2e-test.sh

BENCH_RUNS ?= 10
.PHONY: bench
bench: ## P1/P2 on the local cluster (started if needed, left up), then P3/P4 (bench-scale).
	BENCH_RUNS=$(BENCH_RUNS) hack/bench.sh
	$(MAKE) -s bench-scale

.PHONY: bench-triggers
bench-triggers: ## P5 on the local cluster: signed webhooks through an EventListener vs bare creates; forged ones rejected. BENCH_TRIGGERS_ARGS='--requests N --concurrency C'
	hack/bench-triggers.sh

.PHONY: bench-gitops
bench-gitops: ## P8 on the local cluster: git push -> deployed in dev through the demo's pipeline, per task with the tools' own share (median). BENCH_GITOPS_ARGS='--rounds N -v'
	hack/bench-gitops.sh

SCALE_ARGS ?=
.PHONY: bench-catalog
bench-catalog: ## P7 on the local cluster: each catalog task as a TaskRun vs a bare pod with the same containers; the app's build cold vs warm. BENCH_CATALOG_ARGS='--rounds N'
	hack/bench-catalog.sh

.PHONY: bench-scale
bench-scale: ## P3/P4: 500 PipelineRuns through the controller binary on envtest with a simulated kubelet; RSS with 1000 live runs.
	KUBEBUILDER_ASSETS="$(K8S_BIN_DIR)" go run ./test/scale $(SCALE_ARGS)

##@ Local cluster (needs root)

.PHONY: k8s-bins
k8s-bins: ## Build the Kubernetes v1.37.2 binaries (cached outside the clone).
	@hack/k8s-bins.sh

.PHONY: runtime-bins
runtime-bins: ## Build containerd 2 and runc (cached outside the clone).
	@hack/runtime-bins.sh

.PHONY: cluster-up
cluster-up: ## Start the local single-node cluster (idempotent).
	hack/cluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local cluster and remove every trace of it from the host.
	hack/cluster/down.sh

.PHONY: cluster-status
cluster-status: ## Show the local cluster's components and node.
	@hack/cluster/status.sh

.PHONY: gitserver-bin
gitserver-bin: ## Build Gitea v1.26.0, the local git server (cached outside the clone).
	@hack/gitea-bin.sh

.PHONY: gitserver-up
gitserver-up: ## Start the local git server on the cluster bridge, :3000 (idempotent; credentials file printed).
	hack/gitserver/up.sh

.PHONY: gitserver-down
gitserver-down: ## Stop the local git server and remove its data (cluster-down does it too).
	hack/gitserver/down.sh

.PHONY: kubeconfig
kubeconfig: ## Print the path of the local cluster's admin kubeconfig.
	@echo $(CLUSTER_KUBECONFIG)

##@ Images and install

.PHONY: images
images: ## Build every cmd/ binary into an image and push it to $(REGISTRY) (no Docker engine).
	REGISTRY=$(REGISTRY) VERSION=$(VERSION) hack/images.sh

.PHONY: release
release: ## Render the one-file install manifest into dist/install.yaml, with the images of the last `make images`.
	@test -s $(BIN)/images.txt || { echo "release: no bin/images.txt; run 'make images' first"; exit 1; }
	@mkdir -p dist
	go run ./hack/release -o dist/install.yaml $$(sed 's/^/--image /' $(BIN)/images.txt)
	@echo "dist/install.yaml"

.PHONY: catalog
catalog: ## Render every catalog Task (namespace windlass-catalog) into dist/catalog.yaml, with the tool images of the last `make images`; publish each as an OCI bundle to $(REGISTRY)/windlass/catalog/NAME:VERSION.
	@test -s $(BIN)/images.txt || { echo "catalog: no bin/images.txt; run 'make images' first"; exit 1; }
	@mkdir -p dist
	go run ./hack/release --config catalog --kustomization . -o dist/catalog.yaml $$(sed 's/^/--image /' $(BIN)/images.txt)
	go run ./hack/bundle --catalog dist/catalog.yaml --push $(REGISTRY)/windlass/catalog > $(BIN)/bundles.txt
	@echo "dist/catalog.yaml; bundles: $(BIN)/bundles.txt"

.PHONY: deploy
deploy: images release catalog ## Install the release and the catalog into the cluster and wait for the controller.
	KUBECONFIG=$(E2E_KUBECONFIG) hack/deploy.sh dist/install.yaml dist/catalog.yaml

.PHONY: demo
demo: ## Start the local cluster (or use $$KUBECONFIG) and the git server, install Windlass, then follow a git push to prod (config/samples/gitops). DEMO_ARGS=...
	hack/demo.sh

.PHONY: clean
clean: ## Remove build outputs (not the caches outside the clone).
	rm -rf $(BIN) dist

$(CONTROLLER_GEN):
	hack/tools.sh controller-gen
$(GOLANGCI_LINT):
	hack/tools.sh golangci-lint
