"""mmseg_dda.utils.output_policy: outputs stay out of the inputs, only
listed files are replaced or deleted, one writer per folder."""
import json
import os

import pytest

from mmseg_dda.utils.output_policy import (OutputPolicyError,
                                           check_outside_inputs,
                                           claim_output_file,
                                           claim_output_folder,
                                           json_marked)
from mmseg_dda.utils.provenance import StaleOutputError, read_manifest
from mmseg_dda.utils.work_dir_lock import FOLDER_LOCK_NAME


def test_new_folder_resume_and_refusal(tmp_path):
    folder = tmp_path / 'f'
    m = claim_output_folder(str(folder), 'k', ['x.out'], dict(a=1, b=(2, 3)),
                            info=dict(note='x'))
    assert m == read_manifest(str(folder))
    assert m['inputs'] == dict(a=1, b=[2, 3]) and m['info'] == dict(note='x')
    assert m['outputs'] == ['x.out'] and m['manifest_version'] == 2
    (folder / 'x.out').write_text('1')
    # Same inputs (tuples and lists compare equal): a resume, its own file.
    assert claim_output_folder(str(folder), 'k', ['x.out'],
                               dict(a=1, b=[2, 3]))['info'] == dict(note='x')
    with pytest.raises(StaleOutputError,
                       match=rf'^{folder} was made from other inputs '
                       rf'\({folder}/manifest\.json\): a: old 1 vs new 2; '
                       r'c: old "<not recorded>" vs new 0\. '):
        claim_output_folder(str(folder), 'k', ['x.out'],
                            dict(a=2, b=[2, 3], c=0))
    for overwrite in (False, True):  # another tool's folder: never
        with pytest.raises(OutputPolicyError,
                           match=r"holds 'k', not 'other' .*with or "
                           'without --overwrite'):
            claim_output_folder(str(folder), 'other', ['x.out'],
                                overwrite=overwrite)
    assert (folder / 'x.out').exists()


def test_overwrite_deletes_only_listed_outputs(tmp_path):
    folder = tmp_path / 'f'
    claim_output_folder(str(folder), 'k', ['a.out', 'sub/b.out', 'tree/'],
                        dict(v=1))
    (folder / 'sub').mkdir()
    (folder / 'tree').mkdir()
    for name in ('a.out', '.a.out.123.tmp', 'sub/b.out', 'tree/t',
                 'keep.out', 'sub/keep.out', '.keep.out.1.tmp'):
        (folder / name).write_text('1')
    logs = []
    claim_output_folder(str(folder), 'k', ['a.out'], dict(v=2),
                        overwrite=True, log=logs.append)
    left = sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files)
    assert left == ['.keep.out.1.tmp', FOLDER_LOCK_NAME, 'keep.out',
                    'manifest.json', 'sub/keep.out']
    assert logs == [f'--overwrite: deleted 3 old outputs in {folder} (those '
                    'its manifest.json lists)']
    assert read_manifest(str(folder))['outputs'] == ['a.out']


def test_files_it_did_not_make_are_refused(tmp_path):
    folder = tmp_path / 'f'
    folder.mkdir()
    (folder / 'a.out').write_text('mine')
    (folder / 'other.txt').write_text('mine')
    for overwrite in (False, True):
        with pytest.raises(OutputPolicyError,
                           match=rf'^{folder} holds 1 files this run would '
                           r'write \(e\.g\. a\.out\) that it did not make '
                           r'\(the folder has no manifest\.json\)\. '):
            claim_output_folder(str(folder), 'k', ['a.out', 'b.out'],
                                overwrite=overwrite)
    # A manifest that does not list the file: refused as well.
    claim_output_folder(str(folder), 'k', ['b.out'])
    with pytest.raises(OutputPolicyError, match='are not listed in its '
                       r'manifest\.json'):
        claim_output_folder(str(folder), 'k', ['a.out'])
    assert (folder / 'a.out').read_text() == 'mine'


def test_manifest_of_layout_1_lists_the_tools_output_names(tmp_path):
    """Folders written before ``outputs`` was recorded stay usable."""
    folder = tmp_path / 'f'
    folder.mkdir()
    (folder / 'manifest.json').write_text(json.dumps(dict(
        kind='k', manifest_version=1, inputs=dict(v=1))))
    (folder / 'a.out').write_text('old')
    (folder / 'mine.txt').write_text('mine')
    m = claim_output_folder(str(folder), 'k', ['a.out'], dict(v=1),
                            legacy=lambda n: n.endswith('.out'))
    assert m['outputs'] == ['a.out']
    claim_output_folder(str(folder), 'k', ['b.out'], dict(v=2),
                        overwrite=True, legacy=lambda n: n.endswith('.out'))
    assert sorted(p.name for p in folder.iterdir()) == [
        FOLDER_LOCK_NAME, 'manifest.json', 'mine.txt']


def test_foreign_manifest_is_refused(tmp_path):
    (tmp_path / 'manifest.json').write_text('{"name": "my project"}')
    with pytest.raises(OutputPolicyError,
                       match=r"not a manifest \(expected a JSON object with "
                       r"an 'inputs' object\)\. It is not a manifest of "
                       r'this project'):
        claim_output_folder(str(tmp_path), 'k', [], overwrite=True)


@pytest.mark.parametrize('out,tree,word', [
    ('data', 'data', 'is'), ('data/x', 'data', 'lies inside'),
    ('work', 'work/images', 'contains')])
def test_outputs_stay_out_of_input_folders(tmp_path, out, tree, word):
    out, tree = tmp_path / out, tmp_path / tree
    tree.mkdir(parents=True)
    with pytest.raises(OutputPolicyError,
                       match=rf'^--out {out} {word} the input folder {tree}:'):
        check_outside_inputs(str(out), [str(tree)])
    check_outside_inputs(str(tmp_path / 'elsewhere'), [str(tree)])


def test_symlinked_output_is_resolved(tmp_path):
    (tmp_path / 'images').mkdir()
    os.symlink(tmp_path / 'images', tmp_path / 'link')
    with pytest.raises(OutputPolicyError, match='is the input folder'):
        check_outside_inputs(str(tmp_path / 'link'),
                             [str(tmp_path / 'images')])


def test_single_output_file(tmp_path):
    mark = json_marked(('tool', ), 'me')
    path = tmp_path / 'x.json'
    claim_output_file(str(path), mark)  # new: fine
    path.write_text('{"tool": "me"}')
    claim_output_file(str(path), mark)  # its own: replaced
    path.write_text('{"tool": "you"}')
    with pytest.raises(OutputPolicyError, match=rf'^--out {path} exists and '
                       'was not written by this tool'):
        claim_output_file(str(path), mark)
    with pytest.raises(OutputPolicyError, match='is a folder'):
        claim_output_file(str(tmp_path), mark)
    with pytest.raises(OutputPolicyError, match='is the input file'):
        claim_output_file(str(path), mark, files=[str(path)])
