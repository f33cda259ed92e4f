module github.com/tpauth/tpauth-go/oauth2adapter

go 1.21

require (
	github.com/tpauth/tpauth-go v0.0.0
	golang.org/x/oauth2 v0.22.0
)

replace github.com/tpauth/tpauth-go => ../
