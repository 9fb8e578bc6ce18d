#!/usr/bin/env python3
"""Create a tiny Llama-style causal LM with random weights and a locally trained tokenizer, saved with
save_pretrained: a real model for smoke tests, with no download.

    python3 scripts/make_tiny_model.py OUT_DIR
Needs torch, transformers and tokenizers (the GPU smoke test's Python has them).
"""
import sys

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast


def main(out_dir):
    corpus = [
        "the quick brown fox jumps over the lazy dog",
        "energy per token is measured between window edges",
        "large language models generate text one token at a time",
    ] * 50
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", "<s>", "</s>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>",
                                   bos_token="<s>", eos_token="</s>")
    config = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                         pad_token_id=fast.pad_token_id, bos_token_id=fast.bos_token_id,
                         eos_token_id=fast.eos_token_id)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir)
    fast.save_pretrained(out_dir)
    print(out_dir)


if __name__ == "__main__":
    main(sys.argv[1])
