"""Small exceptions whose message is shown to the user as is (cli.py and app.py turn them into friendly errors)."""


class RagError(Exception):
    """Base class: the message is meant for the user."""


class ConfigError(RagError):
    """A setting has a value we cannot use."""


class IndexMissingError(RagError):
    """There is no index yet at the configured place."""


class EmbedderMismatchError(RagError):
    """The index was built with another embedder than the one configured."""


class IndexLockedError(RagError):
    """Another `rag index` holds the index lock."""


class StoreUnavailableError(RagError):
    """The Chroma server cannot be reached or did not answer in time."""


class QuestionError(RagError):
    """The question cannot be asked as it is (empty, too long, ...)."""


class ModelError(RagError):
    """An answer engine or embedder failed to load or to answer."""


class PromptError(RagError):
    """A prompt template is missing or was rendered without a variable it needs."""
