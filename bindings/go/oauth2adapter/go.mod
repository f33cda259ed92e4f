module github.com/tpauth/tpauth/bindings/go/oauth2adapter

go 1.21

require (
	github.com/tpauth/tpauth/bindings/go v0.1.0
	golang.org/x/oauth2 v0.22.0
)

// In this repository the module is the folder above; users get the tagged release
// (bindings/go/vX.Y.Z, which the release workflow pushes with this module's own tag).
replace github.com/tpauth/tpauth/bindings/go => ../
