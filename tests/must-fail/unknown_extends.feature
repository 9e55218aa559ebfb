# An unknown `extends:` target is reported at the `extends:` line (the description above
# mentions the word too).
# expect: bad-extends.yaml:3:1: extends: template "v1/p2p-voip-servce-hosted" not found
# expect: did you mean "v1/p2p-voip-service-hosted"?
Feature: Must fail - unknown extends target
  Scenario: The base template's name is misspelt
    Given a call request from template "bad-extends"
