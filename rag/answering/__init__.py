"""Answering: the Assistant (assistant) takes a question to the retriever, then to an engine (engines: extractive,
llm) that selects sentences (select), refuses or answers and cites (cite); about/timeline/news answer their question kinds."""
