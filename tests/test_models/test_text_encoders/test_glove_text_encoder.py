"""GloVeTextEncoder (GKCMN §2.1): GloVe rows, padding, frozen embedding."""
import torch

from mmstvg.models.text_encoders import GloVeTextEncoder


def test_glove_rows_padding_and_freezing(tmp_path):
    path = tmp_path / 'glove.txt'
    path.write_text('the 0.1 0.2 0.3 0.4\nman -1 0 1 2\nred 2 2 2 2\n')
    torch.manual_seed(0)
    enc = GloVeTextEncoder(
        glove_file=str(path), embed_dims=4, num_attn_layers=2, num_heads=2, hidden_dims=8).eval()
    torch.testing.assert_close(enc.embedding.weight[3], torch.tensor([-1., 0., 1., 2.]))
    assert (enc.embedding.weight[:2] == 0).all()
    ids = torch.tensor([[2, 4, 3]])
    out = enc(ids, torch.ones(1, 3, dtype=torch.long))
    assert out['tokens'].shape == (1, 3, 8) and out['sentence'].shape == (1, 8)
    padded = enc(torch.tensor([[2, 4, 3, 0, 0]]), torch.tensor([[1, 1, 1, 0, 0]]))
    torch.testing.assert_close(padded['tokens'][:, :3], out['tokens'], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(padded['sentence'], out['sentence'], atol=1e-5, rtol=1e-5)
    assert (padded['tokens'][:, 3:] == 0).all()
    enc.train()
    enc(ids, torch.ones(1, 3, dtype=torch.long))['sentence'].sum().backward()
    assert enc.embedding.weight.grad is None
    assert enc.gru.weight_ih_l0.grad is not None


def test_random_table_trains():
    torch.manual_seed(0)
    enc = GloVeTextEncoder(
        vocab_size=10,
        embed_dims=8,
        num_attn_layers=1,
        num_heads=2,
        hidden_dims=8,
        freeze_embedding=False)
    ids = torch.randint(2, 10, (3, 5))
    mask = torch.ones(3, 5, dtype=torch.long)
    target = torch.randn(3, 8)
    optim = torch.optim.Adam(enc.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        loss = (enc(ids, mask)['sentence'] - target).pow(2).mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
