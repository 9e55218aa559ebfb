@lifecycle @mock-only
Feature: A step is matched by its text, whatever its keyword
  Cucumber's rule (cucumber-js, Cucumber-JVM): `And` after a `When` may be a step written with
  `Given` elsewhere; the keyword only reads better.

  Scenario: The callee's answer, written after the create
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    And the callee answers after 3 seconds
    Then the response status is 201
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
      | updated    | established        |

  Scenario: Every keyword before any step
    When a call request from template "v1/p2p-voip-service-hosted"
    Then the callee answers after 1 second
    Given the bot creates the call
    * the response status is 201
