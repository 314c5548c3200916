package lint

import (
	"context"
	"fmt"
	"io/fs"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apivalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/windlass-dev/windlass/config/crd"
)

// crdSchema is what the API server checks a custom resource of one kind with.
type crdSchema struct {
	namespaced bool
	structural *structuralschema.Structural
	validator  apivalidation.SchemaValidator
	cel        *cel.Validator
}

var (
	schemasOnce sync.Once
	schemas     map[schema.GroupVersionKind]*crdSchema
	schemasErr  error
)

// loadSchemas reads the embedded CRDs once.
func loadSchemas() (map[schema.GroupVersionKind]*crdSchema, error) {
	schemasOnce.Do(func() {
		schemas = map[schema.GroupVersionKind]*crdSchema{}
		schemasErr = fs.WalkDir(crd.Bases, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := crd.Bases.ReadFile(path)
			if err != nil {
				return err
			}
			var def apiextensionsv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(data, &def); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for _, v := range def.Spec.Versions {
				if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				s, err := newCRDSchema(v.Schema.OpenAPIV3Schema)
				if err != nil {
					return fmt.Errorf("%s: version %s: %w", path, v.Name, err)
				}
				s.namespaced = def.Spec.Scope == apiextensionsv1.NamespaceScoped
				schemas[schema.GroupVersionKind{Group: def.Spec.Group, Version: v.Name, Kind: def.Spec.Names.Kind}] = s
			}
			return nil
		})
	})
	return schemas, schemasErr
}

func newCRDSchema(v1 *apiextensionsv1.JSONSchemaProps) (*crdSchema, error) {
	var internal apiextensionsinternal.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v1, &internal, nil); err != nil {
		return nil, err
	}
	st, err := structuralschema.NewStructural(&internal)
	if err != nil {
		return nil, err
	}
	validator, _, err := apivalidation.NewSchemaValidator(&internal)
	if err != nil {
		return nil, err
	}
	return &crdSchema{structural: st, validator: validator, cel: cel.NewValidator(st, true, celconfig.PerCallLimit)}, nil
}

// validate checks obj as the API server checks a create with strict field
// validation (what kubectl apply asks for): unknown fields, then defaults,
// metadata, the schema, list types and the CEL rules. obj is defaulted in place.
func (s *crdSchema) validate(ctx context.Context, obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	unknown := structuralpruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range unknown {
		errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p, Detail: fmt.Sprintf("unknown field %q", p)})
	}
	if len(errs) > 0 {
		return errs // strict decoding fails before validation
	}
	structuraldefaulting.Default(obj, s.structural)
	u := &unstructured.Unstructured{Object: obj}
	name := metavalidation.NameIsDNSSubdomain
	errs = append(errs, metavalidation.ValidateObjectMetaAccessor(u, s.namespaced, name, field.NewPath("metadata"))...)
	errs = append(errs, apivalidation.ValidateCustomResource(nil, obj, s.validator)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	if blocking(errs) {
		return errs // as the API server, which skips the CEL rules of an object already invalid
	}
	celErrs, _ := s.cel.Validate(ctx, nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// blocking reports errors after which the API server does not run the CEL rules.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
