module tpauth-wine-check

go 1.21

require github.com/tpauth/tpauth/bindings/go v0.0.0

replace github.com/tpauth/tpauth/bindings/go => ../../../bindings/go
