# Fixtures for tests/cli/report_html.rs and tests/cli/cli.rs: one scenario that passes, one that fails.
Feature: Report fixtures

  @answered
  Scenario: A call that is answered, then hung up
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
      | updated    | established        |
      | updated    | established        |
    When the bot hangs up
    Then the response status is 204
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | terminating        |
      | deleted    | terminated         |

  Scenario: The new call is expected to be established already
    Given a call request from template "v1/p2p-pstn-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
      | updated    | established        |
    And the response matches:
      """
      state: established
      direction: outgoing
      """
    And the bot receives no further notifications within 500 ms
