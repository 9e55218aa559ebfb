# A forged notification token must not pass for a signed one.
# expect: its token is not valid for app 2891555a-92ff-42e6-80fa-6e1300c6b5c6: InvalidSignature
Feature: Must fail - forged notification token
  Scenario: The stand-in forges its signature
    Given the stand-in signs notifications with a forged key
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
    And every notification carries a token signed for the app
