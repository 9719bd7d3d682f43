package wire

// The primitive schemas of an elicitation form (RequestedSchema.Properties).

// PrimitiveSchemaDefinition is the schema of one form field: *StringSchema,
// *NumberSchema, *BooleanSchema, *UntitledSingleSelectEnumSchema,
// *TitledSingleSelectEnumSchema, *UntitledMultiSelectEnumSchema,
// *TitledMultiSelectEnumSchema or *LegacyTitledEnumSchema.
//
// It decodes by "type" and shape: "number" and "integer" make a
// NumberSchema, "boolean" a BooleanSchema; "string" makes a
// LegacyTitledEnumSchema with "enum" and "enumNames", an
// UntitledSingleSelectEnumSchema with "enum" alone, a
// TitledSingleSelectEnumSchema with "oneOf", and a StringSchema with
// neither; "array" makes a TitledMultiSelectEnumSchema when "items" has
// "anyOf" and an UntitledMultiSelectEnumSchema when it has "enum". Any
// other type, or a shape that fits none or two of these, is an error.
type PrimitiveSchemaDefinition interface{ isPrimitiveSchemaDefinition() }

// EnumSchema is the schema of an enumerated form field: one of the four
// select schemas or a LegacyTitledEnumSchema. It decodes like
// PrimitiveSchemaDefinition and rejects the non-enum schemas.
type EnumSchema interface{ isEnumSchema() }

// SingleSelectEnumSchema is *UntitledSingleSelectEnumSchema or
// *TitledSingleSelectEnumSchema.
type SingleSelectEnumSchema interface{ isSingleSelectEnumSchema() }

// MultiSelectEnumSchema is *UntitledMultiSelectEnumSchema or
// *TitledMultiSelectEnumSchema.
type MultiSelectEnumSchema interface{ isMultiSelectEnumSchema() }

func (*StringSchema) isPrimitiveSchemaDefinition()                   {}
func (*NumberSchema) isPrimitiveSchemaDefinition()                   {}
func (*BooleanSchema) isPrimitiveSchemaDefinition()                  {}
func (*UntitledSingleSelectEnumSchema) isPrimitiveSchemaDefinition() {}
func (*TitledSingleSelectEnumSchema) isPrimitiveSchemaDefinition()   {}
func (*UntitledMultiSelectEnumSchema) isPrimitiveSchemaDefinition()  {}
func (*TitledMultiSelectEnumSchema) isPrimitiveSchemaDefinition()    {}
func (*LegacyTitledEnumSchema) isPrimitiveSchemaDefinition()         {}

func (*UntitledSingleSelectEnumSchema) isEnumSchema() {}
func (*TitledSingleSelectEnumSchema) isEnumSchema()   {}
func (*UntitledMultiSelectEnumSchema) isEnumSchema()  {}
func (*TitledMultiSelectEnumSchema) isEnumSchema()    {}
func (*LegacyTitledEnumSchema) isEnumSchema()         {}

func (*UntitledSingleSelectEnumSchema) isSingleSelectEnumSchema() {}
func (*TitledSingleSelectEnumSchema) isSingleSelectEnumSchema()   {}

func (*UntitledMultiSelectEnumSchema) isMultiSelectEnumSchema() {}
func (*TitledMultiSelectEnumSchema) isMultiSelectEnumSchema()   {}

// StringSchema is a free-text field. Type is "string"; Format is "email",
// "uri", "date" or "date-time".
type StringSchema struct {
	Default     *string `json:"default,omitzero"`
	Description string  `json:"description,omitzero"`
	Format      string  `json:"format,omitzero"`
	MaxLength   *int64  `json:"maxLength,omitzero"`
	MinLength   *int64  `json:"minLength,omitzero"`
	Title       string  `json:"title,omitzero"`
	Type        string  `json:"type"`
	Extra       Object  `json:",embed"`
}

// NumberSchema is a numeric field. Type is "number" or "integer".
type NumberSchema struct {
	Default     *float64 `json:"default,omitzero"`
	Description string   `json:"description,omitzero"`
	Maximum     *float64 `json:"maximum,omitzero"`
	Minimum     *float64 `json:"minimum,omitzero"`
	Title       string   `json:"title,omitzero"`
	Type        string   `json:"type"`
	Extra       Object   `json:",embed"`
}

// BooleanSchema is a yes/no field. Type is "boolean".
type BooleanSchema struct {
	Default     *bool  `json:"default,omitzero"`
	Description string `json:"description,omitzero"`
	Title       string `json:"title,omitzero"`
	Type        string `json:"type"`
	Extra       Object `json:",embed"`
}

// UntitledSingleSelectEnumSchema picks one of Enum. Type is "string".
type UntitledSingleSelectEnumSchema struct {
	Default     *string  `json:"default,omitzero"`
	Description string   `json:"description,omitzero"`
	Enum        []string `json:"enum"`
	Title       string   `json:"title,omitzero"`
	Type        string   `json:"type"`
	Extra       Object   `json:",embed"`
}

// TitledSingleSelectEnumSchema picks one of OneOf, each with a display
// title. Type is "string".
type TitledSingleSelectEnumSchema struct {
	Default     *string      `json:"default,omitzero"`
	Description string       `json:"description,omitzero"`
	OneOf       []EnumOption `json:"oneOf"`
	Title       string       `json:"title,omitzero"`
	Type        string       `json:"type"`
	Extra       Object       `json:",embed"`
}

// EnumOption is one titled choice: the value Const and its display Title.
type EnumOption struct {
	Const string `json:"const"`
	Title string `json:"title"`
	Extra Object `json:",embed"`
}

// UntitledMultiSelectEnumSchema picks any of Items.Enum. Type is "array".
type UntitledMultiSelectEnumSchema struct {
	Default     []string          `json:"default,omitzero"`
	Description string            `json:"description,omitzero"`
	Items       UntitledEnumItems `json:"items"`
	MaxItems    *int64            `json:"maxItems,omitzero"`
	MinItems    *int64            `json:"minItems,omitzero"`
	Title       string            `json:"title,omitzero"`
	Type        string            `json:"type"`
	Extra       Object            `json:",embed"`
}

// UntitledEnumItems are the items of an UntitledMultiSelectEnumSchema.
// Type is "string".
type UntitledEnumItems struct {
	Enum  []string `json:"enum"`
	Type  string   `json:"type"`
	Extra Object   `json:",embed"`
}

// TitledMultiSelectEnumSchema picks any of Items.AnyOf, each with a
// display title. Type is "array".
type TitledMultiSelectEnumSchema struct {
	Default     []string        `json:"default,omitzero"`
	Description string          `json:"description,omitzero"`
	Items       TitledEnumItems `json:"items"`
	MaxItems    *int64          `json:"maxItems,omitzero"`
	MinItems    *int64          `json:"minItems,omitzero"`
	Title       string          `json:"title,omitzero"`
	Type        string          `json:"type"`
	Extra       Object          `json:",embed"`
}

// TitledEnumItems are the items of a TitledMultiSelectEnumSchema.
type TitledEnumItems struct {
	AnyOf []EnumOption `json:"anyOf"`
	Extra Object       `json:",embed"`
}

// LegacyTitledEnumSchema is the pre-2025-11-25 titled enum, with display
// names in the non-standard EnumNames. Type is "string".
type LegacyTitledEnumSchema struct {
	Default     *string  `json:"default,omitzero"`
	Description string   `json:"description,omitzero"`
	Enum        []string `json:"enum"`
	EnumNames   []string `json:"enumNames,omitzero"`
	Title       string   `json:"title,omitzero"`
	Type        string   `json:"type"`
	Extra       Object   `json:",embed"`
}
