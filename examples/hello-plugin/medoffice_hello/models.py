"""The plugin's tables. Every table name starts with the plugin name and an underscore."""
import peewee as pw

from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow


class Greeting(BaseModel):
    """A message someone in the office left for the team."""

    message = pw.TextField()
    created_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "hello_greeting"


# Moves on any change to the greetings, whoever makes it: what is counted from them is kept until then.
GREETINGS = DataVersion("hello.greetings", [Greeting])
