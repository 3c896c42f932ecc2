"""medoffice's HR plugin: employee files on core's staff records and the employee manual."""
