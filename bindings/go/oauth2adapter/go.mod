module github.com/tpauth/tpauth/bindings/go/oauth2adapter

go 1.21

require (
	github.com/tpauth/tpauth/bindings/go v0.0.0
	golang.org/x/oauth2 v0.22.0
)

replace github.com/tpauth/tpauth/bindings/go => ../
