from rag.indexing.chunk import chunk_article, split_sentences
from rag.indexing.ingest import Article


def _article(text):
    return Article("a/b.txt", text.split("\n")[0], "2024-01-01", "", text, "h")


def test_sentences_split_on_arabic_punctuation():
    assert split_sentences("جملة أولى. هل هذا سؤال؟ نعم؛ ثم\nسطر جديد! بلغت 3.5 بالمئة.") == [
        "جملة أولى.", "هل هذا سؤال؟", "نعم؛", "ثم", "سطر جديد!", "بلغت 3.5 بالمئة."]


def test_chunks_have_stable_ids_metadata_size_and_overlap():
    text = "العنوان\n" + " ".join(f"هذه الجملة رقم {i} في المقال." for i in range(80))
    nodes = chunk_article(_article(text), size=300, overlap=60)
    assert [n.node_id for n in nodes] == [f"a/b.txt#{i:04d}" for i in range(len(nodes))]
    assert len(nodes) > 5 and all(len(n.text) <= 300 for n in nodes)
    assert nodes[1].metadata["source"] == "a/b.txt" and nodes[1].metadata["date"] == "2024-01-01"
    assert nodes[1].metadata["n_chunks"] == len(nodes)
    # overlap: the next chunk starts with the previous chunk's last sentence
    assert nodes[1].text.startswith(nodes[0].text.split(".")[-2].strip().split(" في")[0][:10])
    assert chunk_article(_article(text), 300, 60)[3].text == nodes[3].text  # deterministic
    # every sentence is in some chunk
    for i in range(80):
        assert any(f"رقم {i} في" in n.text for n in nodes)


def test_a_single_huge_line_is_cut():
    nodes = chunk_article(_article("x" * 5000), size=1000, overlap=100)
    assert len(nodes) == 5 and all(len(n.text) <= 1000 for n in nodes)
