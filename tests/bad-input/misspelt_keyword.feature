# A misspelt keyword turns a scenario into description text: an error, not a silent loss.
Feature: Bad input - a misspelt keyword
  Szenario: lost to a typo
