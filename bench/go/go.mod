module github.com/tpauth/tpauth/bindings/go/bench

go 1.21

require (
	github.com/tpauth/tpauth/bindings/go v0.1.0
	github.com/tpauth/tpauth/bindings/go/oauth2adapter v0.1.0
)

require golang.org/x/oauth2 v0.22.0

replace github.com/tpauth/tpauth/bindings/go => ../../bindings/go

replace github.com/tpauth/tpauth/bindings/go/oauth2adapter => ../../bindings/go/oauth2adapter
