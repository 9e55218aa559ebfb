# A template that links out of the scenario folders (here to a settings file holding a
# secret) is refused, and nothing of the file is printed.
# expect: linked-env.yaml: refused: it links to a file outside the scenario folders
# never: FakeSecretThatMustNeverBePrinted
Feature: Must fail - a template linked out of the scenario folders
  Scenario: The link is refused
    Given a call request from template "linked-env"
