module peakon-scim-connector/bench/dev-server-profile

go 1.21
