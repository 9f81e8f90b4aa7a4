// Package replicatest tests the library against a streaming read replica
// reached through GORM's dbresolver plugin (scripts/with-replica starts one).
// It is a module of its own so that dbresolver stays out of the library's
// requirements.
package replicatest
